//! `infrac-lsp`: the infrac language server over standard input and output.

mod convert;
mod server;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // A frame whose body is not JSON would end tower-lsp-server's transport, so frames pass
    // through a filter first: malformed ones are dropped (and logged), the server keeps running.
    let (mut to_server, from_filter) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut stdin = BufReader::new(tokio::io::stdin());
        loop {
            let mut length: Option<usize> = None;
            loop {
                let mut line = String::new();
                match stdin.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let line = line.trim();
                if line.is_empty() {
                    if length.is_some() {
                        break;
                    }
                    continue;
                }
                if let Some(value) = line.strip_prefix("Content-Length:") {
                    length = value.trim().parse().ok();
                }
            }
            let length = length.unwrap_or(0).min(64 << 20);
            let mut body = vec![0u8; length];
            if stdin.read_exact(&mut body).await.is_err() {
                return;
            }
            if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
                eprintln!("infrac-lsp: dropped a message that is not JSON ({length} bytes)");
                continue;
            }
            let header = format!("Content-Length: {length}\r\n\r\n");
            if to_server.write_all(header.as_bytes()).await.is_err()
                || to_server.write_all(&body).await.is_err()
            {
                return;
            }
        }
    });
    let (service, socket) = tower_lsp_server::LspService::new(server::Server::new);
    tower_lsp_server::Server::new(from_filter, tokio::io::stdout(), socket)
        .serve(service)
        .await;
    // The filter may still wait on standard input; the session is over, so is the process.
    std::process::exit(0);
}
