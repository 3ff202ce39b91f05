//! `infrac-lsp`: the infrac language server, over standard input and output.

mod convert;
mod diagnostics;
mod direct;
mod semantic;
mod server;
mod snapshot;
mod state;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const USAGE: &str = "usage: infrac-lsp [--stdio]

The infrac language server. It speaks the Language Server Protocol over standard input and
output; editors start it (see docs/editors.md).

options:
  --stdio      use standard input and output (the default and only transport)
  --version    print the version
  --help       print this message";

/// The largest message body accepted; a larger one is skipped.
const MAX_BODY: usize = 64 << 20;

/// The longest header line kept (with its line end); a longer one is discarded as it streams in,
/// without being buffered.
const MAX_HEADER_LINE: usize = 8 << 10;

/// The most a pipe between the transport's tasks holds; a writer waits for the reader beyond
/// it. A pipe's buffer keeps the largest size it reached, so it is kept small.
const PIPE_BUFFER: usize = 64 << 10;

/// The same allocator as the `infrac` binary (see docs/performance.md), with the options of
/// `ALLOCATOR_OPTIONS`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options for a long-running server, as mimalloc reads them from the environment.
/// `MIMALLOC_PURGE_DELAY=0` gives a freed page back to the system at once; by default mimalloc
/// waits 10 ms and then purges only when the thread that owns the page allocates again, so the
/// pages that the last analysis or answer of a thread freed stayed resident while it idled
/// (docs/editors.md, "Memory").
const ALLOCATOR_OPTIONS: &[(&str, &str)] = &[("MIMALLOC_PURGE_DELAY", "0")];

/// Starts the server again with `ALLOCATOR_OPTIONS` in its environment, unless they are all set
/// (by this function, or by the user, whose values are kept). mimalloc reads its options once,
/// before `main`, and setting them from inside the process takes `unsafe` code, which the
/// workspace forbids; `exec` replaces the process image in place (same process id, same standard
/// input and output, nothing read yet). If the binary cannot be executed again, the server runs
/// on with mimalloc's defaults.
#[cfg(unix)]
fn restart_with_allocator_options() {
    use std::os::unix::process::CommandExt;
    let missing: Vec<_> = ALLOCATOR_OPTIONS
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut command = std::process::Command::new(exe);
    command.args(std::env::args_os().skip(1));
    for (name, value) in missing {
        command.env(name, value);
    }
    let error = command.exec();
    eprintln!("infrac-lsp: could not start again with mimalloc's options ({error}); going on without them");
}

#[cfg(not(unix))]
fn restart_with_allocator_options() {}

fn main() {
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--stdio" => {}
            "--version" | "-V" => {
                println!("infrac-lsp {}", env!("CARGO_PKG_VERSION"));
                return;
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return;
            }
            other => {
                eprintln!("infrac-lsp: unknown argument `{other}`\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    restart_with_allocator_options();
    infrac_emit::analysis::init_thread_pool();
    // Analyses run on their own thread (`snapshot.rs`), but an edit's handler reads a few
    // queries under the state's lock, so the runtime's threads get room for the deepest nesting
    // too (the memory is only reserved).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(infrac_emit::analysis::ANALYSIS_STACK)
        .enable_all()
        .build()
        .expect("the async runtime starts");
    runtime.block_on(serve());
    // The frame filter may still wait on standard input; the session is over, so is the process.
    std::process::exit(0);
}

async fn serve() {
    // tower-lsp-server ends the session on a frame whose body is not JSON, so frames pass
    // through a filter first: malformed ones are dropped and logged, the server keeps running.
    let (to_server, from_filter) = tokio::io::duplex(PIPE_BUFFER);
    tokio::spawn(filter_frames(to_server));
    // Its frames, and the answers written past it (`direct.rs`), go out through one writer,
    // each frame whole.
    let (server_output, from_server) = tokio::io::duplex(PIPE_BUFFER);
    let (to_stdout, stdout_writer) = spawn_stdout_writer();
    let forwarder = tokio::spawn(forward_frames(from_server, to_stdout.clone()));
    let (service, socket) =
        tower_lsp_server::LspService::build(|client| server::Server::new(client, to_stdout))
            .custom_method(direct::METHOD, server::Server::direct)
            .finish();
    tower_lsp_server::Server::new(from_filter, server_output, socket)
        .serve(service)
        .await;
    // The server's output is closed and the server gone with its sender: the writer writes what
    // is left and ends (a second at most, should a sender linger).
    let _ = forwarder.await;
    let ended = tokio::task::spawn_blocking(move || stdout_writer.join());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), ended).await;
}

/// The thread that writes frames to standard output, in the order they are sent, with std's
/// blocking writes: tokio's `Stdout` copies every write into a buffer of its own, which keeps
/// the size of the largest answer for the whole session.
fn spawn_stdout_writer() -> (
    std::sync::mpsc::Sender<Vec<u8>>,
    std::thread::JoinHandle<()>,
) {
    let (to_stdout, frames) = std::sync::mpsc::channel::<Vec<u8>>();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        for frame in frames {
            if stdout
                .write_all(&frame)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return;
            }
        }
    });
    (to_stdout, writer)
}

/// Sends tower-lsp-server's frames, each whole, to the standard output's writer.
async fn forward_frames(
    from_server: tokio::io::DuplexStream,
    to_stdout: std::sync::mpsc::Sender<Vec<u8>>,
) {
    let mut from_server = BufReader::new(from_server);
    while let Some(frame) = read_frame(&mut from_server).await {
        if to_stdout.send(frame).is_err() {
            return;
        }
    }
}

/// One frame as tower-lsp-server writes it (`Content-Length` header, blank line, body), with
/// its header; `None` at the end of its output.
async fn read_frame(input: &mut (impl AsyncBufRead + Unpin)) -> Option<Vec<u8>> {
    let mut frame = Vec::new();
    let mut length = None;
    loop {
        let HeaderLine::Line(line) = read_header_line(input).await else {
            return None;
        };
        frame.extend_from_slice(&line);
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            break;
        }
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let start = frame.len();
    frame.resize(start + length?, 0);
    input.read_exact(&mut frame[start..]).await.ok()?;
    Some(frame)
}

/// One header line as read by `read_header_line`.
enum HeaderLine {
    /// The input ended or failed.
    End,
    /// The line's bytes, with its line end.
    Line(Vec<u8>),
    /// A line longer than `MAX_HEADER_LINE`, which was read and thrown away.
    TooLong,
}

/// Reads one header line of at most `MAX_HEADER_LINE` bytes; the rest of a longer one is
/// consumed chunk by chunk and never held in memory.
async fn read_header_line(input: &mut (impl AsyncBufRead + Unpin)) -> HeaderLine {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = match input.fill_buf().await {
            Ok([]) | Err(_) => return HeaderLine::End,
            Ok(available) => available,
        };
        let (used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(newline) => (newline + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            if line.len() + used > MAX_HEADER_LINE {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(&available[..used]);
            }
        }
        input.consume(used);
        if done {
            return if too_long {
                HeaderLine::TooLong
            } else {
                HeaderLine::Line(line)
            };
        }
    }
}

/// Copies well-formed frames from standard input to the server; drops the others.
async fn filter_frames(mut to_server: tokio::io::DuplexStream) {
    let mut stdin = BufReader::new(tokio::io::stdin());
    let mut phase = direct::Phase::default();
    loop {
        let mut length: Option<usize> = None;
        let mut saw_header = false;
        loop {
            let bytes = match read_header_line(&mut stdin).await {
                HeaderLine::End => return,
                HeaderLine::Line(bytes) => bytes,
                // A header the server cannot use is ignored like an unknown one: the frame
                // still counts on its Content-Length, if it has one.
                HeaderLine::TooLong => {
                    eprintln!(
                        "infrac-lsp: ignored a header line longer than {MAX_HEADER_LINE} bytes"
                    );
                    saw_header = true;
                    continue;
                }
            };
            let Ok(line) = std::str::from_utf8(&bytes) else {
                eprintln!(
                    "infrac-lsp: ignored a header line that is not UTF-8 ({} bytes)",
                    bytes.len()
                );
                saw_header = true;
                continue;
            };
            let line = line.trim();
            if line.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().ok();
                }
            }
        }
        let Some(length) = length else {
            eprintln!("infrac-lsp: dropped a header without a valid Content-Length");
            continue;
        };
        if length > MAX_BODY {
            eprintln!("infrac-lsp: dropped a message of {length} bytes (limit {MAX_BODY})");
            let mut skipped = (&mut stdin).take(length as u64);
            if tokio::io::copy(&mut skipped, &mut tokio::io::sink())
                .await
                .is_err()
            {
                return;
            }
            continue;
        }
        let mut body = vec![0u8; length];
        if stdin.read_exact(&mut body).await.is_err() {
            return;
        }
        let Some(body) = checked(body, &mut phase) else {
            continue;
        };
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        if to_server.write_all(header.as_bytes()).await.is_err()
            || to_server.write_all(&body).await.is_err()
        {
            return;
        }
    }
}

/// A body the server's transport accepts: a JSON-RPC request, notification or response. A
/// malformed message that carries an id is replaced by a call of a method that does not exist,
/// so that the client still gets an error answer for that id; other malformed messages are
/// dropped. A request with a large answer is carried to `Server::direct` (`direct.rs`).
fn checked(body: Vec<u8>, phase: &mut direct::Phase) -> Option<Vec<u8>> {
    use tower_lsp_server::jsonrpc::{Request, Response};
    if let Ok(request) = serde_json::from_slice::<Request>(&body) {
        // A request with a large answer goes on as a notification that `Server::direct`
        // answers past tower-lsp-server's output.
        if let Some(carried) = phase.rewrite(&request) {
            return Some(carried);
        }
        // The server never answers a method that starts with `$/`, which is right for the
        // protocol's notifications (`$/cancelRequest`, `$/setTrace`) but leaves a request for
        // one waiting forever: the request goes on under a name the server answers with
        // MethodNotFound, for the same id.
        return match request.id() {
            Some(id) if request.method().starts_with("$/") => {
                eprintln!(
                    "infrac-lsp: answered the request `{}` with MethodNotFound",
                    request.method()
                );
                let replacement = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": id,
                    "method": format!("infrac/unsupported{}", request.method()),
                });
                Some(replacement.to_string().into_bytes())
            }
            _ => Some(body),
        };
    }
    if serde_json::from_slice::<Response>(&body).is_ok() {
        return Some(body);
    }
    let value = serde_json::from_slice::<serde_json::Value>(&body).ok();
    let id = value
        .as_ref()
        .and_then(|v| v.get("id"))
        .filter(|id| id.is_number() || id.is_string());
    match id {
        Some(id) => {
            eprintln!(
                "infrac-lsp: answered a malformed request ({} bytes) with an error",
                body.len()
            );
            let replacement = serde_json::json!({
                "jsonrpc": "2.0",
                "id": id,
                "method": "infrac/malformedRequest",
            });
            Some(replacement.to_string().into_bytes())
        }
        None => {
            eprintln!(
                "infrac-lsp: dropped a malformed message ({} bytes)",
                body.len()
            );
            None
        }
    }
}
