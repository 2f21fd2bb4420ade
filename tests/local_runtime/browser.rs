//! Headless Chromium (Debian's `chromium`, installed by `make setup`) looking
//! at a page of the local worker, behind a loopback proxy that adds the
//! bearer token a browser cannot send by itself.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Forwards every connection to `upstream` (host:port), adding `authorization`.
/// Returns the proxy's base URL; the thread lives as long as the test process.
pub fn auth_proxy(upstream: &str, authorization: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let upstream = upstream.to_string();
    let auth = authorization.to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            let (upstream, auth) = (upstream.clone(), auth.clone());
            std::thread::spawn(move || {
                let _ = forward(client, &upstream, &auth);
            });
        }
    });
    base
}

fn forward(mut client: TcpStream, upstream: &str, auth: &str) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines: Vec<String> = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            !lower.starts_with("connection:") && !lower.starts_with("authorization:")
        })
        .map(str::to_string)
        .collect();
    lines.push(format!("Authorization: {auth}"));
    lines.push("Connection: close".to_string());
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes())?;
    std::io::copy(&mut server, &mut client)?;
    Ok(())
}

/// What the browser saw: its console/log output and a screenshot.
pub struct Visit {
    pub log: String,
    pub screenshot: PathBuf,
    _dir: tempfile::TempDir,
}

/// Opens `url` in headless Chromium (no network beyond loopback) and screenshots it.
pub fn visit(url: &str) -> Visit {
    let dir = tempfile::tempdir().expect("temp dir");
    let shot = dir.path().join("page.png");
    let profile = dir.path().join("profile");
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=900,700",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(url)
        .output()
        .expect("chromium runs (make setup installs it)");
    Visit {
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        screenshot: shot,
        _dir: dir,
    }
}

/// The RGB colour of one pixel of a PNG.
pub fn pixel(png_path: &std::path::Path, x: u32, y: u32) -> [u8; 3] {
    let file = std::fs::File::open(png_path).expect("screenshot exists");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let channels = info.color_type.samples();
    let i = ((y * info.width + x) as usize) * channels;
    [buf[i], buf[i + 1], buf[i + 2]]
}
