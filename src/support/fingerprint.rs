//! A certificate's SHA-256 as people read and write it: `AB:CD:...`, how the simulator shows its
//! certificate and how `pin_sha256` takes one.

/// `bytes` as `AB:CD:...`.
pub(crate) fn format(bytes: &[u8; 32]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_fingerprint_reads_as_colon_separated_pairs() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x0f;
        let shown = super::format(&bytes);
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert!(shown.starts_with("AB:00:"), "{shown}");
        assert!(shown.ends_with(":00:0F"), "{shown}");
    }
}
