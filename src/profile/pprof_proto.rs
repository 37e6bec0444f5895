//! A minimal writer of pprof's `profile.proto` (the format `go tool pprof` and speedscope
//! read): samples, locations, functions and the string table, nothing else.

use std::collections::HashMap;

use super::Profile;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn int_field(out: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        key(out, field, 0);
        varint(out, v);
    }
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn packed(out: &mut Vec<u8>, field: u32, values: &[u64]) {
    let mut body = Vec::new();
    for &v in values {
        varint(&mut body, v);
    }
    bytes_field(out, field, &body);
}

/// Encodes `profile`: two sample types (samples/count and cpu/nanoseconds), one location and
/// one function per distinct frame name.
pub(super) fn encode(profile: &Profile, duration_nanos: i64, comment: &str) -> Vec<u8> {
    let mut strings: Vec<String> = vec![String::new()];
    let mut string_ids: HashMap<String, u64> = HashMap::new();
    let mut intern = |s: &str, strings: &mut Vec<String>| -> u64 {
        if let Some(&id) = string_ids.get(s) {
            return id;
        }
        let id = strings.len() as u64;
        strings.push(s.to_string());
        string_ids.insert(s.to_string(), id);
        id
    };
    let samples = intern("samples", &mut strings);
    let count = intern("count", &mut strings);
    let cpu = intern("cpu", &mut strings);
    let nanos = intern("nanoseconds", &mut strings);
    let period = 1_000_000_000 / u64::from(profile.frequency.max(1));

    let mut out = Vec::new();
    for (t, u) in [(samples, count), (cpu, nanos)] {
        let mut vt = Vec::new();
        int_field(&mut vt, 1, t);
        int_field(&mut vt, 2, u);
        bytes_field(&mut out, 1, &vt);
    }
    // Location id = function id = index of the frame name, from 1.
    let mut frame_ids: HashMap<&str, u64> = HashMap::new();
    let mut frames: Vec<&str> = Vec::new();
    for (stack, n) in &profile.stacks {
        let mut ids: Vec<u64> = stack
            .iter()
            .map(|f| {
                *frame_ids.entry(f.as_str()).or_insert_with(|| {
                    frames.push(f);
                    frames.len() as u64
                })
            })
            .collect();
        ids.reverse(); // pprof lists the leaf first
        let mut sample = Vec::new();
        packed(&mut sample, 1, &ids);
        packed(&mut sample, 2, &[*n, n * period]);
        bytes_field(&mut out, 2, &sample);
    }
    for (i, _) in frames.iter().enumerate() {
        let id = i as u64 + 1;
        let mut line = Vec::new();
        int_field(&mut line, 1, id);
        let mut loc = Vec::new();
        int_field(&mut loc, 1, id);
        bytes_field(&mut loc, 4, &line);
        bytes_field(&mut out, 4, &loc);
    }
    for (i, name) in frames.iter().enumerate() {
        let name_id = intern(name, &mut strings);
        let mut func = Vec::new();
        int_field(&mut func, 1, i as u64 + 1);
        int_field(&mut func, 2, name_id);
        int_field(&mut func, 3, name_id);
        bytes_field(&mut out, 5, &func);
    }
    // The profile's comment (field 13, an index into the string table): which stacks it holds.
    let comment = intern(comment, &mut strings);
    for s in &strings {
        bytes_field(&mut out, 6, s.as_bytes());
    }
    packed(&mut out, 13, &[comment]);
    int_field(&mut out, 10, u64::try_from(duration_nanos).unwrap_or(0));
    let mut period_type = Vec::new();
    int_field(&mut period_type, 1, cpu);
    int_field(&mut period_type, 2, nanos);
    bytes_field(&mut out, 11, &period_type);
    int_field(&mut out, 12, period);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_varints_like_protobuf() {
        let mut v = Vec::new();
        varint(&mut v, 300);
        assert_eq!(v, [0xAC, 0x02]);
    }

    #[test]
    fn the_string_table_holds_every_frame_once() {
        let p = Profile::from_folded("t;main;work 3\nt;main;other 1\n", 1000).unwrap();
        let bytes = encode(&p, 1_000_000, "a comment");
        let text = String::from_utf8_lossy(&bytes);
        for name in [
            "samples",
            "nanoseconds",
            "main",
            "work",
            "other",
            "a comment",
        ] {
            assert_eq!(text.matches(name).count(), 1, "{name}");
        }
    }
}
