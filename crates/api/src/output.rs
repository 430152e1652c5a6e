//! Where a handler writes its answer: whole, or streamed as it is produced (speech). The Spin
//! adapter implements [`Output`] over wasi-http's response; tests use [`Recorder`].

use crate::Response;

/// Where an answer goes. A whole answer is one [`Output::respond`]; a streamed one is one
/// [`Output::start`] and any number of [`Output::write`]s. `false`: the client is gone.
pub trait Output {
    fn respond(&mut self, response: Response);
    fn start(&mut self, head: Response) -> bool;
    fn write(&mut self, bytes: &[u8]) -> bool;
}

/// An [`Output`] that keeps everything, for tests and native callers.
#[derive(Debug, Default)]
pub struct Recorder {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The size of every write, in order (a whole answer is one piece).
    pub pieces: Vec<usize>,
    pub streamed: bool,
}

impl Recorder {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::header(&self.headers, name)
    }
}

impl Output for Recorder {
    fn respond(&mut self, response: Response) {
        self.status = response.status;
        self.headers = response.headers;
        self.pieces.push(response.body.len());
        self.body = response.body;
    }
    fn start(&mut self, head: Response) -> bool {
        self.status = head.status;
        self.headers = head.headers;
        self.streamed = true;
        true
    }
    fn write(&mut self, bytes: &[u8]) -> bool {
        self.pieces.push(bytes.len());
        self.body.extend_from_slice(bytes);
        true
    }
}
