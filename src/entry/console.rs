//! Sends `tracing` output to the Workers console (no wall clock: the
//! runtime stamps each line itself).

use std::io::Write;
use tracing_subscriber::fmt::MakeWriter;

pub struct ConsoleWriter(Vec<u8>);

impl Write for ConsoleWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ConsoleWriter {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.0);
        let line = line.trim_end();
        if !line.is_empty() {
            worker::console_log!("{line}");
        }
    }
}

struct MakeConsoleWriter;

impl<'a> MakeWriter<'a> for MakeConsoleWriter {
    type Writer = ConsoleWriter;
    fn make_writer(&'a self) -> Self::Writer {
        ConsoleWriter(Vec::new())
    }
}

/// Installs the subscriber; a second call (a re-initialised isolate) is a no-op.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_writer(MakeConsoleWriter)
        .without_time()
        .with_ansi(false)
        .with_target(false)
        .try_init();
}
