//! `vicidial_conf_templates` rows: peer configuration blocks phones reference by `template_id`.

use sqlx::SqliteConnection;

/// Inserts or replaces a template.
pub async fn upsert_template(
    conn: &mut SqliteConnection,
    template_id: &str,
    name: &str,
    contents: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO vicidial_conf_templates (template_id, template_name, template_contents) VALUES (?, ?, ?) \
         ON CONFLICT (template_id) DO UPDATE SET template_name = excluded.template_name, \
         template_contents = excluded.template_contents",
    )
    .bind(template_id)
    .bind(name)
    .bind(contents)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts templates with an id (shared with the phone writer thread).
pub(crate) const COUNT_TEMPLATE: &str = "SELECT count(*) FROM vicidial_conf_templates WHERE template_id = ?";

/// Whether a template with this id exists.
pub async fn template_exists(conn: &mut SqliteConnection, template_id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar::<_, i64>(COUNT_TEMPLATE).bind(template_id).fetch_one(conn).await.map(|n| n > 0)
}

/// Every template id, sorted.
pub async fn template_ids(conn: &mut SqliteConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar::<_, String>("SELECT template_id FROM vicidial_conf_templates ORDER BY template_id")
        .fetch_all(conn)
        .await
}
