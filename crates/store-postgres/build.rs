// `sqlx::migrate!` embeds the migrations at compile time, but cargo only rebuilds for files it
// knows of: without this a migration added to the folder is missing from the next build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
