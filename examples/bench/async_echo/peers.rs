//! The async peers' roles: the raw TCP echo on tokio, tarpc, and pyro's async daemon and
//! proxy, each a server and a client process.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt as _;
use tarpc::server::{BaseChannel, Channel as _};
use tarpc::tokio_serde::formats::Bincode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use pyro::Value;

use super::driver::{EchoConn, client_args, drive, io_error, runtime, sizes};
use crate::Result;
use crate::echo::{Echo, EchoProxyAsync, OBJECT_ID};

/// Binds a listener on loopback, prints its address and hands every accepted connection (with
/// `TCP_NODELAY`) to `serve` in a task of its own, on a multi-threaded runtime.
fn serve_tcp<Fut>(serve: impl Fn(TcpStream) -> Fut) -> Result<()>
where
    Fut: Future<Output = ()> + Send + 'static,
{
    runtime(true)?.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(io_error("bind"))?;
        println!("{}", listener.local_addr().map_err(io_error("local address"))?);
        loop {
            let (socket, _) = listener.accept().await.map_err(io_error("accept"))?;
            socket.set_nodelay(true).map_err(io_error("TCP_NODELAY"))?;
            tokio::spawn(serve(socket));
        }
    })
}

/// `server-raw-tokio <request bytes> <reply bytes>`: answers every `request bytes` read on a
/// connection with `reply bytes`, any number of connections.
pub fn server_raw_tokio(args: &[String]) -> Result<()> {
    let (request_len, reply_len) = sizes(args)?;
    serve_tcp(move |mut socket| async move {
        let (mut request, reply) = (vec![0u8; request_len], vec![0u8; reply_len]);
        // A read or write error (the client going away) ends the connection.
        while socket.read_exact(&mut request).await.is_ok() {
            if socket.write_all(&reply).await.is_err() {
                break;
            }
        }
    })
}

/// A raw TCP client connection: writes the request bytes, reads the reply bytes.
struct RawConn {
    socket: TcpStream,
    request: Vec<u8>,
    reply: Vec<u8>,
}

impl EchoConn for RawConn {
    async fn echo(&mut self) -> Result<()> {
        self.socket.write_all(&self.request).await.map_err(io_error("write"))?;
        self.socket.read_exact(&mut self.reply).await.map_err(io_error("read")).map(drop)
    }
}

async fn connect(address: &str) -> Result<TcpStream> {
    let socket = TcpStream::connect(address).await.map_err(|e| format!("connect {address}: {e}"))?;
    socket.set_nodelay(true).map_err(io_error("TCP_NODELAY"))?;
    Ok(socket)
}

/// `client-raw-tokio <address> <mode> <request bytes> <reply bytes>`.
pub fn client_raw_tokio(args: &[String]) -> Result<()> {
    let (address, mode, rest) = client_args(args)?;
    let (request_len, reply_len) = sizes(rest)?;
    let address: Arc<str> = address.into();
    drive(mode, move || {
        let address = Arc::clone(&address);
        async move {
            let socket = connect(&address).await?;
            Ok(RawConn { socket, request: vec![0u8; request_len], reply: vec![0u8; reply_len] })
        }
    })
}

/// tarpc's side of the echo: the same call as `Echo::echo(42)`, typed.
#[tarpc::service]
trait EchoService {
    /// Returns `message`.
    async fn echo(message: i64) -> i64;
}

/// tarpc's echo server.
#[derive(Clone, Copy)]
struct TarpcEcho;

impl EchoService for TarpcEcho {
    async fn echo(self, _: tarpc::context::Context, message: i64) -> i64 {
        message
    }
}

/// `server-tarpc`: tarpc's echo over TCP with bincode, a task per connection running its
/// requests in line.
pub fn server_tarpc(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        return Err(format!("server-tarpc takes no arguments, got {args:?}"));
    }
    serve_tcp(|socket| {
        let channel = BaseChannel::with_defaults(tarpc::serde_transport::Transport::from((socket, Bincode::default())));
        channel.execute(TarpcEcho.serve()).for_each(|response| response)
    })
}

/// A tarpc client with its own connection.
struct TarpcConn(EchoServiceClient);

impl EchoConn for TarpcConn {
    async fn echo(&mut self) -> Result<()> {
        match self.0.echo(tarpc::context::current(), 42).await {
            Ok(42) => Ok(()),
            Ok(other) => Err(format!("tarpc echo(42) returned {other}")),
            Err(e) => Err(format!("tarpc echo(42): {e}")),
        }
    }
}

/// `client-tarpc <address> <mode>`.
pub fn client_tarpc(args: &[String]) -> Result<()> {
    let (address, mode, rest) = client_args(args)?;
    if !rest.is_empty() {
        return Err(format!("client-tarpc: unexpected arguments {rest:?}"));
    }
    let address: Arc<str> = address.into();
    drive(mode, move || {
        let address = Arc::clone(&address);
        async move {
            let socket = connect(&address).await?;
            let transport = tarpc::serde_transport::Transport::from((socket, Bincode::default()));
            Ok(TarpcConn(EchoServiceClient::new(tarpc::client::Config::default(), transport).spawn()))
        }
    })
}

/// The async daemon's echo object: the same `echo` as [`Echo`]'s, as an `async fn`, awaited on
/// the runtime.
pub struct AsyncEcho;

#[pyro::expose]
impl AsyncEcho {
    /// Returns `message`.
    pub async fn echo(&self, message: Value) -> Value {
        message
    }
}

/// `server-pyro-async async|plain`: pyro's async daemon on a multi-threaded runtime, serving
/// [`AsyncEcho`] (`async`) or [`Echo`] (`plain`) with the default configuration.
pub fn server_pyro_async(args: &[String]) -> Result<()> {
    let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).map_err(|e| e.to_string())?;
    let uri = match args {
        [kind] if kind == "async" => daemon.register(AsyncEcho, Some(OBJECT_ID)),
        [kind] if kind == "plain" => daemon.register(Echo::default(), Some(OBJECT_ID)),
        _ => return Err(format!("expected async or plain, got {args:?}")),
    }
    .map_err(|e| e.to_string())?;
    println!("{uri}");
    runtime(true)?.block_on(daemon.serve()).map_err(|e| e.to_string())
}

/// A typed async proxy with its own connection.
struct PyroConn(EchoProxyAsync);

impl EchoConn for PyroConn {
    async fn echo(&mut self) -> Result<()> {
        match self.0.echo(Value::Int(42)).await {
            Ok(Value::Int(42)) => Ok(()),
            Ok(other) => Err(format!("echo(42) returned {other:?}")),
            Err(e) => Err(format!("echo(42): {e}")),
        }
    }
}

/// `client-pyro-async <uri> <mode>`: the async typed proxy, one per client.
pub fn client_pyro_async(args: &[String]) -> Result<()> {
    let (uri, mode, rest) = client_args(args)?;
    if !rest.is_empty() {
        return Err(format!("client-pyro-async: unexpected arguments {rest:?}"));
    }
    let uri: Arc<str> = uri.into();
    drive(mode, move || {
        let uri = Arc::clone(&uri);
        async move {
            let proxy = EchoProxyAsync::new(&uri).map_err(|e| format!("{uri}: {e}"))?;
            proxy.proxy().bind().await.map_err(|e| format!("connecting to {uri}: {e}"))?;
            Ok(PyroConn(proxy))
        }
    })
}
