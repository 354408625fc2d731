//! `passerelle-verifier` — thin glue over passerelle-core.
fn main() {
    println!("passerelle-verifier: not yet implemented");
}
