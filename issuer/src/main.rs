//! `passerelle-issuer` — thin glue over passerelle-core.
fn main() {
    println!("passerelle-issuer: not yet implemented");
}
