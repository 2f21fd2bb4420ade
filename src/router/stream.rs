//! Bodies not built in Rust memory: a stream of chunks pulled one at a time
//! (the fetch entry turns it into a `ReadableStream`; tests drain it with
//! [`drain`]), or text the host already holds ([`Held`]).

use super::handler::BoxFut;
use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// Produces the body chunk by chunk; `Ok(None)` ends it.
pub trait ChunkSource {
    fn next_chunk(&mut self) -> BoxFut<'_, Result<Option<Vec<u8>>, String>>;
}

/// A response body that is produced while it is sent.
#[derive(Clone)]
pub struct BodyStream(pub Rc<RefCell<Option<Box<dyn ChunkSource>>>>);

impl BodyStream {
    pub fn new(source: impl ChunkSource + 'static) -> BodyStream {
        BodyStream(Rc::new(RefCell::new(Some(Box::new(source)))))
    }

    /// Takes the source out (it can be sent once).
    pub fn take(&self) -> Option<Box<dyn ChunkSource>> {
        self.0.borrow_mut().take()
    }
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BodyStream")
    }
}

impl PartialEq for BodyStream {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Reads a whole stream into memory (tests; never on a request path).
pub async fn drain(stream: &BodyStream) -> Result<Vec<u8>, String> {
    let Some(mut source) = stream.take() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    while let Some(chunk) = source.next_chunk().await? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A body the host already holds (on the Worker, a JS string D1 built),
/// sent as it is: copying a page of text into Rust and back costs about
/// 3 ms of CPU a megabyte.
pub trait HeldBody {
    /// The bytes, for a host that needs them (native tests).
    fn bytes(&self) -> Vec<u8>;
    /// For the host's entry to find its own type.
    fn as_any(&self) -> &dyn Any;
}

#[derive(Clone)]
pub struct Held(pub Rc<dyn HeldBody>);

impl fmt::Debug for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Held")
    }
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
