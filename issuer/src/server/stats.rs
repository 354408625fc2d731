//! `GET /api/v1/stats/export?format=csv|json&threshold=N&from=YYYY-MM&to=YYYY-MM`: the
//! suppressed statistics of [`crate::stats`] (admin token). Unlike `GET /api/v1/stats` (exact
//! counts by achievement and month, for the provider itself), this is meant to be handed to a
//! public body: no count below the threshold can be read or derived from it. No learner key,
//! email or credential id is read, answered or logged.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::api::known_params;
use super::error::ApiError;
use super::AppState;
use crate::stats::{Format, Month, StatsError, Threshold};

/// The query parameters the export reads.
pub const PARAMS: &[&str] = &["format", "threshold", "from", "to"];

fn invalid(field: &str, e: StatsError) -> ApiError {
    ApiError::invalid(field, e.to_string())
}

pub(super) async fn export(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    known_params(&query, PARAMS)?;
    let format = match query.get("format") {
        None => Format::Json,
        Some(f) => Format::parse(f).map_err(|e| invalid("format", e))?,
    };
    let threshold = match query.get("threshold") {
        None => Threshold::default(),
        Some(t) => Threshold::parse(t).map_err(|e| invalid("threshold", e))?,
    };
    let month = |field: &'static str| {
        query
            .get(field)
            .map(|m| Month::parse(field, m).map_err(|e| invalid(field, e)))
            .transpose()
    };
    let (from, to) = (month("from")?, month("to")?);
    let export = state
        .issuer
        .store()
        .stats_export(from, to, threshold, chrono::Utc::now())
        .await?
        .map_err(|e| invalid("to", e))?;
    Ok(match format {
        Format::Json => Json(export.to_json()).into_response(),
        Format::Csv => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            export.to_csv(),
        )
            .into_response(),
    })
}
