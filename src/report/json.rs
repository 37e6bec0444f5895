//! The machine-readable export. Its fields are documented in the README; bump
//! [`SCHEMA_VERSION`] on any change that removes or renames a field.

use std::io::{self, Write};

use serde::Serialize;

use super::{Export, Results};

/// Version of the JSON layout.
pub const SCHEMA_VERSION: u32 = 1;

/// Pretty-printed JSON: `schema_version`, `tool`, then the [`Results`] fields.
pub struct Json;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: String,
    #[serde(flatten)]
    results: &'a Results,
}

impl Export for Json {
    fn write(&self, r: &Results, out: &mut dyn Write) -> io::Result<()> {
        let doc = Document {
            schema_version: SCHEMA_VERSION,
            tool: format!("ladder {}", env!("CARGO_PKG_VERSION")),
            results: r,
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)
    }
}
