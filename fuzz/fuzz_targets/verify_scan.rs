//! Public verification's scanner over any bytes: it examines at most a bounded number of
//! signatures and its report is consistent (no covered range outside the file).
#![no_main]

use dojang_core::seal::verify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scan = verify::scan(data, &[]);
    assert!(scan.signatures.len() <= verify::MAX_SIGNATURES);
    assert_eq!(scan.sha256.len(), 64);
    for s in &scan.signatures {
        assert!(!s.issued_by_this_instance, "no known certificates, so none is ours");
    }
});
