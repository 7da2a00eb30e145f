//! Ready-made objects, like Pyro5's `Pyro5.utils`.

pub mod echoserver;
