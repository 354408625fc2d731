//! Achievement definitions, by id and by unique slug.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ids::AchievementId;
use super::Store;
use super::{new_urn, now, parse_json, unique, StoreError};

impl Store {
    /// Stores a new achievement definition under a unique `slug`.
    pub async fn create_achievement(
        &self,
        slug: &str,
        definition: &Value,
    ) -> Result<Achievement, StoreError> {
        let at = now();
        let id = new_urn();
        let text = definition.to_string();
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO achievements (id, slug, definition, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(&id)
            .bind(slug)
            .bind(&text)
            .bind(at)
            .execute(p)
            .await
            .map_err(unique("achievement slug"))?;
        });
        Ok(Achievement {
            id: AchievementId(id),
            slug: slug.to_owned(),
            definition: definition.clone(),
            created_at: at,
            updated_at: at,
        })
    }

    /// Replaces an achievement's definition.
    pub async fn update_achievement(
        &self,
        id: &AchievementId,
        definition: &Value,
    ) -> Result<(), StoreError> {
        let text = definition.to_string();
        let at = now();
        let n = on_pool!(self, p => {
            sqlx::query("UPDATE achievements SET definition = $1, updated_at = $2 WHERE id = $3")
                .bind(&text)
                .bind(at)
                .bind(&id.0)
                .execute(p)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "achievement",
                id: id.0.clone(),
            });
        }
        Ok(())
    }

    /// An achievement by id.
    pub async fn achievement(&self, id: &AchievementId) -> Result<Option<Achievement>, StoreError> {
        self.achievement_where("id", &id.0).await
    }

    /// An achievement by slug.
    pub async fn achievement_by_slug(&self, slug: &str) -> Result<Option<Achievement>, StoreError> {
        self.achievement_where("slug", slug).await
    }

    async fn achievement_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<Achievement>, StoreError> {
        let sql = format!(
            "SELECT id, slug, definition, created_at, updated_at FROM achievements WHERE {column} = $1"
        );
        let row: Option<AchievementRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(value).fetch_optional(p).await?
        });
        row.map(AchievementRow::into_achievement).transpose()
    }

    /// Every achievement, by slug.
    pub async fn achievements(&self) -> Result<Vec<Achievement>, StoreError> {
        let rows: Vec<AchievementRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, slug, definition, created_at, updated_at FROM achievements ORDER BY slug",
            )
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(AchievementRow::into_achievement)
            .collect()
    }
}

/// A stored achievement definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Achievement {
    pub id: AchievementId,
    pub slug: String,
    pub definition: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AchievementRow {
    id: String,
    slug: String,
    definition: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl AchievementRow {
    fn into_achievement(self) -> Result<Achievement, StoreError> {
        Ok(Achievement {
            definition: parse_json("achievement definition", &self.definition)?,
            id: AchievementId(self.id),
            slug: self.slug,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
