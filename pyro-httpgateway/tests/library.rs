//! The gateway as a library: called as a `tower::Service`, and mounted in a server of our own
//! with an authentication check in front (the pattern the crate documentation shows).
#![allow(clippy::unwrap_used)]

mod support;

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use pyro_httpgateway::{Body, Gateway, GatewaySettings};
use support::{Req, fetch, python_objects, settings};
use tower_service::Service;

#[tokio::test]
async fn the_gateway_is_a_tower_service() {
    let mut gateway = Gateway::new(GatewaySettings::default());
    let request = Request::get("/").body(Empty::<Bytes>::new()).unwrap();
    let response = gateway.call(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/pyro/");
    // Any body type: here a full one, too large for a 10-byte limit.
    let mut small = GatewaySettings::default();
    small.max_body_size = 10;
    let mut gateway = Gateway::new(small);
    let request = Request::post("/pyro/http.x/y")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(b"{\"a\": \"0123456789\"}")))
        .unwrap();
    let response = gateway.call(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), "413 Payload Too Large");
}

async fn authenticated(gateway: Gateway, request: Request<hyper::body::Incoming>) -> Response<Body> {
    if request.headers().get("authorization").is_none_or(|v| v != "Bearer let-me-in") {
        let mut denied = Response::new(Body::from("who are you?"));
        *denied.status_mut() = StatusCode::UNAUTHORIZED;
        return denied;
    }
    gateway.handle(request).await
}

#[test]
fn mounted_behind_an_authentication_check() {
    let (_objects, ns_port) = python_objects();
    let gateway = Gateway::new(settings(ns_port));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let gateway = gateway.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let gateway = gateway.clone();
                    async move { Ok::<_, Infallible>(authenticated(gateway, request).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    let answers = fetch(
        &base,
        &[
            Req::get("/pyro/http.thing/value"),
            Req::get("/pyro/http.thing/value").header("Authorization", "Bearer wrong"),
            Req::get("/pyro/http.thing/value").header("Authorization", "Bearer let-me-in"),
        ],
    );
    assert_eq!((answers[0].status, answers[0].text().as_str()), (401, "who are you?"));
    assert_eq!(answers[1].status, 401);
    assert_eq!((answers[2].status, answers[2].text().as_str()), (200, "42"));
    runtime.shutdown_background();
}
