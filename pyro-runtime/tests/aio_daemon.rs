#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]
mod aio_service;
#[test]
fn probe() {
    let running = aio_service::start(pyro::Daemon::builder().config(aio_service::config()));
    let proxy = pyro::proxy::Proxy::new(running.uri.clone());
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    running.stop();
}
