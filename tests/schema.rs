#[test]
fn schema_graphql_equals_what_the_server_exports() {
    let on_disk = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql");
    assert!(on_disk == wecrm::app::schema::sdl(), "schema.graphql is stale: run `cargo run -- export-schema`");
}
