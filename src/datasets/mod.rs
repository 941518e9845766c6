//! The bundled datasets: their definitions, and the CSV files compiled into
//! the binary so a fresh install answers queries with no files around it.
//! `infraql import` regenerates the files from the infrastructure reports.

pub mod history;
pub mod tables;

use tables::TableDef;

/// Each bundled table with the text of its CSV file.
pub fn bundled() -> [(&'static TableDef, &'static str); 7] {
    [
        (
            &tables::SERVICES,
            include_str!("../../datasets/services.csv"),
        ),
        (
            &tables::ENDPOINTS,
            include_str!("../../datasets/endpoints.csv"),
        ),
        (&tables::JOBS, include_str!("../../datasets/jobs.csv")),
        (&tables::SERVERS, include_str!("../../datasets/servers.csv")),
        (
            &tables::DEPLOYMENTS,
            include_str!("../../datasets/deployments.csv"),
        ),
        (
            &tables::INCIDENTS,
            include_str!("../../datasets/incidents.csv"),
        ),
        (&tables::FIGURES, include_str!("../../datasets/figures.csv")),
    ]
}
