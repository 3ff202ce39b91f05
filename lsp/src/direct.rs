//! Requests whose answers are large (document symbols, semantic tokens) answered past
//! tower-lsp-server's output: it turns every result into a `serde_json::Value` tree before writing
//! it, and the tree of a medium file's semantic tokens (215,000 integers) takes 7 MB, 32 bytes per
//! integer, for an answer of 650 KB; this module writes the answer's JSON straight from its types.
//!
//! The frame filter (`main.rs`) turns such a request into the notification `infrac/direct`,
//! carrying the request's id, method and parameters. tower-lsp-server hands it to
//! `Server::direct` in the same order as the other messages, so the answer sees every edit sent
//! before the request; the handler calls the same `LanguageServer` method as before and sends the
//! framed answer to the output writer, which writes it between tower-lsp-server's own frames.
//! Only requests between `initialized` and `shutdown` are rewritten: outside that window
//! tower-lsp-server drops notifications, and answers requests with its own errors.

use serde::Serialize;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, Id, Request};

/// The notification that carries a request to `Server::direct`.
pub const METHOD: &str = "infrac/direct";

/// The requests answered directly.
pub const METHODS: &[&str] = &[
    "textDocument/documentSymbol",
    "textDocument/semanticTokens/full",
    "textDocument/semanticTokens/full/delta",
    "textDocument/semanticTokens/range",
];

/// A request carried by `METHOD`.
#[derive(serde::Deserialize)]
pub struct DirectRequest {
    pub id: Id,
    pub method: String,
    #[serde(default)]
    pub params: Value,
}

/// Where the session is, as the frame filter sees the client's messages.
#[derive(Default)]
pub struct Phase {
    initialized: bool,
    shut_down: bool,
}

impl Phase {
    /// The body that replaces `request`: `METHOD` when it is to be answered directly.
    pub fn rewrite(&mut self, request: &Request) -> Option<Vec<u8>> {
        match request.method() {
            "initialized" => self.initialized = true,
            "shutdown" => self.shut_down = true,
            _ => {}
        }
        let id = request.id()?;
        if !self.initialized || self.shut_down || !METHODS.contains(&request.method()) {
            return None;
        }
        let carried = json!({
            "jsonrpc": "2.0",
            "method": METHOD,
            "params": {"id": id, "method": request.method(), "params": request.params()},
        });
        serde_json::to_vec(&carried).ok()
    }
}

/// The framed JSON-RPC answer to the request `id`, written from the result's types.
pub fn frame<T: Serialize>(id: &Id, answer: Result<Option<T>, Error>) -> Vec<u8> {
    let mut body = br#"{"jsonrpc":"2.0","id":"#.to_vec();
    let written = serde_json::to_writer(&mut body, id).and_then(|()| match &answer {
        Ok(result) => {
            body.extend_from_slice(br#","result":"#);
            serde_json::to_writer(&mut body, result)
        }
        Err(error) => {
            body.extend_from_slice(br#","error":"#);
            serde_json::to_writer(&mut body, error)
        }
    });
    if written.is_err() {
        // A result that does not serialize (not one of ours) is an internal error, as
        // tower-lsp-server answers it.
        return frame::<()>(id, Err(Error::internal_error()));
    }
    body.push(b'}');
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(&body);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        serde_json::from_str(text).expect("a request")
    }

    #[test]
    fn only_large_requests_between_initialized_and_shutdown_are_rewritten() {
        let symbols = request(
            r#"{"jsonrpc":"2.0","id":7,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///a.infra"}}}"#,
        );
        let hover = request(r#"{"jsonrpc":"2.0","id":8,"method":"textDocument/hover"}"#);
        let mut phase = Phase::default();
        assert!(phase.rewrite(&symbols).is_none());
        phase.rewrite(&request(r#"{"jsonrpc":"2.0","method":"initialized"}"#));
        assert!(phase.rewrite(&hover).is_none());
        let carried: Value =
            serde_json::from_slice(&phase.rewrite(&symbols).expect("rewritten")).expect("JSON");
        assert_eq!(
            carried,
            json!({"jsonrpc": "2.0", "method": METHOD, "params": {
                "id": 7,
                "method": "textDocument/documentSymbol",
                "params": {"textDocument": {"uri": "file:///a.infra"}},
            }})
        );
        let direct: DirectRequest =
            serde_json::from_value(carried["params"].clone()).expect("a direct request");
        assert_eq!(
            (direct.id, direct.method.as_str()),
            (Id::Number(7), "textDocument/documentSymbol")
        );
        phase.rewrite(&request(r#"{"jsonrpc":"2.0","id":9,"method":"shutdown"}"#));
        assert!(phase.rewrite(&symbols).is_none());
    }

    #[test]
    fn an_answer_is_the_json_rpc_response_tower_lsp_server_writes() {
        let framed = frame(&Id::String("x".into()), Ok(Some(vec![1, 2, 3])));
        let text = String::from_utf8(framed).expect("UTF-8");
        let (header, body) = text.split_once("\r\n\r\n").expect("a header");
        assert_eq!(header, format!("Content-Length: {}", body.len()));
        let body: Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(
            body,
            json!({"jsonrpc": "2.0", "id": "x", "result": [1, 2, 3]})
        );
        let framed = frame::<()>(&Id::Number(3), Ok(None));
        assert!(framed.ends_with(br#"{"jsonrpc":"2.0","id":3,"result":null}"#));
        let framed = frame::<()>(&Id::Number(4), Err(Error::invalid_params("no")));
        let body = &framed[framed.iter().position(|&b| b == b'{').expect("a body")..];
        let body: Value = serde_json::from_slice(body).expect("JSON");
        assert_eq!(body["error"]["code"], -32602);
        assert_eq!(body["id"], 4);
    }
}
