//! The object both socketpair programs serve: Python's `Echo` class of that example, registered
//! as a class (so served per session, Pyro5's default instance mode for a class).

/// Pyro5's `Echo`: prints the message it got, answers "thank you".
#[derive(Default)]
pub struct Echo;

#[pyro::expose]
impl Echo {
    /// Prints `server got message:  <message>` (Python's `print("server got message: ",
    /// message)`), returns "thank you".
    pub fn echo(&self, message: String) -> String {
        println!("server got message:  {message}");
        "thank you".to_owned()
    }
}

/// What Python's `print(...)` shows for a reply: the text itself.
pub fn reply_line(reply: &str) -> String {
    format!("client got reply: {reply}")
}

/// The settings of a Python Pyro5 program: the `PYRO_*` environment variables, and serpent
/// (Pyro5's default serializer) unless `PYRO_SERIALIZER` names another.
pub fn config() -> pyro::Result<pyro::Config> {
    let mut config = pyro::Config::environment()?;
    if std::env::var_os("PYRO_SERIALIZER").is_none() {
        config.serializer = Some(pyro::Serializer::Serpent);
    }
    Ok(config)
}

/// The client half of both programs: two proxies, one after the other, over the same
/// connected socket, two calls each (Python's two `with Proxy("echo", connected_socket=sock2)`
/// blocks).
pub fn run_client(socket: &std::os::unix::net::UnixStream, config: &pyro::Config) -> pyro::Result<()> {
    for messages in [["hello!", "hello again!"], ["hello2!", "hello2 again!"]] {
        let proxy = pyro::proxy::Proxy::connected_with_config(socket, "echo", config)?;
        for message in messages {
            let reply: String = proxy.call("echo", &(message,))?;
            println!("{}", reply_line(&reply));
        }
    }
    Ok(())
}
