//! `passerelle-wallet` — thin glue over passerelle-core.
fn main() {
    println!("passerelle-wallet: not yet implemented");
}
