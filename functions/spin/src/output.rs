//! [`Output`] over Spin's response: a core writes a whole answer, or a head and then pieces
//! as it produces them (speech), from synchronous code. Each piece is written and flushed
//! with wasi-io's blocking write (at most 4,096 bytes a call, as the interface allows), so
//! the client receives audio while the core is still computing the rest.

use sawt_api::{ApiError, Output, Response};
use spin_sdk::http::{OutgoingBody, ResponseOutparam};
use wasi::io::streams::OutputStream;

use crate::http::outgoing_head;

/// `blocking-write-and-flush` takes at most 4,096 bytes.
const WRITE_MAX: usize = 4096;

pub struct SpinOutput {
    outparam: Option<ResponseOutparam>,
    body: Option<(OutputStream, OutgoingBody)>,
    /// The status sent (0 before anything was).
    pub status: u16,
}

impl SpinOutput {
    pub fn new(outparam: ResponseOutparam) -> Self {
        Self {
            outparam: Some(outparam),
            body: None,
            status: 0,
        }
    }

    /// Sends the head; the body stream stays open for writes.
    fn open(&mut self, head: &Response) -> bool {
        let Some(outparam) = self.outparam.take() else {
            return false;
        };
        // A head Spin refuses (a header the core should never produce) becomes a bare 500.
        let (outgoing, status) = match outgoing_head(head) {
            Some(o) => (o, head.status),
            None => match outgoing_head(&ApiError::internal().to_response()) {
                Some(o) => (o, 500),
                None => return false,
            },
        };
        let Ok(body) = outgoing.body() else {
            return false;
        };
        outparam.set(outgoing);
        self.status = status;
        match body.write() {
            Ok(stream) => {
                self.body = Some((stream, body));
                status == head.status
            }
            Err(()) => {
                let _ = OutgoingBody::finish(body, None);
                false
            }
        }
    }

    /// Ends the body (also done on drop).
    pub fn finish(&mut self) {
        if let Some((stream, body)) = self.body.take() {
            drop(stream);
            if OutgoingBody::finish(body, None).is_err() {
                crate::log_line("could not finish the response body");
            }
        }
    }
}

impl Drop for SpinOutput {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Output for SpinOutput {
    fn respond(&mut self, response: Response) {
        if self.open(&response) {
            self.write(&response.body);
        }
        self.finish();
    }

    fn start(&mut self, head: Response) -> bool {
        self.open(&head)
    }

    fn write(&mut self, bytes: &[u8]) -> bool {
        let Some((stream, _)) = &self.body else {
            return false;
        };
        bytes
            .chunks(WRITE_MAX)
            .all(|piece| stream.blocking_write_and_flush(piece).is_ok())
    }
}
