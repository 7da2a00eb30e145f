//! Objects returned by reference (`pyro::Remote`), typed proxies as arguments and results, and
//! `#[pyro::callback]` methods, on impls and traits.

use pyro::Remote;

pub struct Thing(u32);

#[pyro::expose]
impl Thing {
    pub fn number(&self) -> u32 {
        self.0
    }
}

#[pyro::expose]
pub trait Shape {
    fn area(&self) -> f64;
}

#[pyro::expose]
pub trait Handler {
    #[pyro::callback]
    fn done(&self, number: u32) -> Result<u32, String>;
}

pub struct Factory;

#[pyro::expose]
impl Factory {
    pub fn one(&self) -> Remote<Thing> {
        Remote::new(Thing(1))
    }

    pub fn many(&self) -> Vec<Remote<Thing>> {
        vec![Remote::new(Thing(2))]
    }

    pub fn maybe(&self) -> Result<Option<(Remote<dyn Shape>, u32)>, String> {
        Ok(None)
    }

    pub fn known(&self) -> pyro::Remote<Thing> {
        Remote::registered("thing")
    }

    pub fn call_back(&self, handler: HandlerProxy, thing: ThingProxy) -> ThingProxy {
        let _ = handler.done(1);
        thing
    }

    #[pyro::callback]
    pub fn checked(&mut self) -> u32 {
        3
    }

    /// A remote attribute holding an object by reference.
    #[pyro::getter]
    pub fn favourite(&self) -> Remote<Thing> {
        Remote::registered("favourite")
    }
}

fn main() {
    // The client side: `Remote<T>` arrives as `T`'s typed proxy.
    let _: fn(&FactoryProxy) -> pyro::Result<ThingProxy> = FactoryProxy::one;
    let _: fn(&FactoryProxy) -> pyro::Result<Vec<ThingProxy>> = FactoryProxy::many;
    let _: fn(&FactoryProxy) -> pyro::Result<Option<(ShapeProxy, u32)>> = FactoryProxy::maybe;
    let _: fn(&FactoryProxy) -> pyro::Result<ThingProxy> = FactoryProxy::known;
    let _: fn(&FactoryProxy) -> pyro::Result<ThingProxy> = FactoryProxy::favourite;
    fn exposed<T: pyro::dispatch::Exposed<Proxy = P> + ?Sized, P>() {}
    exposed::<Thing, ThingProxy>();
    exposed::<dyn Shape, ShapeProxy>();
    let thing = ThingProxy::new("PYRO:thing@localhost:1").unwrap();
    let copy: ThingProxy = thing.clone();
    let value = pyro::value::to_value(&copy).unwrap();
    let back: ThingProxy = pyro::value::from_value(value).unwrap();
    assert_eq!(back.proxy().uri(), thing.proxy().uri());
    use pyro::dispatch::Dispatch;
    assert!(<Factory as Dispatch<Factory>>::is_callback("checked"));
    assert!(!<Factory as Dispatch<Factory>>::is_callback("one"));
}
