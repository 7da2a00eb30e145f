//! Methods asking for the call context: anywhere in the parameters, `&` or `&mut`, on every
//! kind of method; the typed proxy and batch leave it out.
use pyro::dispatch::CallContext;

pub struct Echo;

#[pyro::expose]
impl Echo {
    pub fn first(&self, ctx: &CallContext, text: String) -> String {
        format!("{text} {}", ctx.seq())
    }

    pub fn last(&mut self, text: String, ctx: &mut pyro::dispatch::CallContext) -> String {
        ctx.response_annotations_mut();
        text
    }

    pub fn only(&self, _ctx: &CallContext) {}

    #[pyro::oneway]
    pub fn later(&self, _ctx: &CallContext, _text: String) {}

    pub fn numbers(&self, ctx: &CallContext) -> impl Iterator<Item = u16> + Send + 'static {
        std::iter::once(ctx.seq())
    }

    #[pyro::getter]
    pub fn seq(&self, ctx: &CallContext) -> u16 {
        ctx.seq()
    }
}

#[pyro::expose]
pub trait Greeter {
    fn greet(&self, name: String, ctx: &CallContext) -> String;
}

fn main() {
    fn typed(proxy: &EchoProxy) -> pyro::Result<()> {
        let _: String = proxy.first("a".into())?;
        let _: String = proxy.last("b".into())?;
        proxy.only()?;
        proxy.later("c".into())?;
        let _: u16 = proxy.seq()?;
        let mut batch = proxy.batch();
        let _ = batch.first("d".into());
        batch.run()
    }
    fn interface(proxy: &GreeterProxy) -> pyro::Result<String> {
        proxy.greet("e".into())
    }
    let _ = (typed, interface);
}
