#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| amplihack_remote::fuzzing::pack_files(data));
