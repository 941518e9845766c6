//! The top-level README.md: the platform area each service belongs to, and
//! the date the documentation was last updated.

use chrono::NaiveDate;

use super::markdown::{Document, Outline};
use super::markup;

/// What the README says.
#[derive(Debug, Default)]
pub struct Readme {
    /// (service name, the `###` heading it is listed under in "Platform
    /// Architecture"), in listing order.
    categories: Vec<(String, String)>,
    /// The "Last Updated" date.
    pub last_updated: Option<NaiveDate>,
}

impl Readme {
    /// The category of `service` (names compare ignoring case, as page names do).
    pub fn category_of(&self, service: &str) -> Option<String> {
        self.categories
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(service))
            .map(|(_, category)| category.clone())
    }
}

/// Reads the README. Services are the `**[name](…)**` items under a `###`
/// heading of the "Platform Architecture" part; where a service is listed
/// twice, the first listing wins.
pub fn read(doc: &Document) -> Readme {
    let mut categories = Vec::new();
    if let Some(section) = doc.section(|heading| heading.mentions("Platform Architecture")) {
        let mut outline = Outline::default();
        for line in section.lines() {
            if let Some(heading) = line.heading() {
                outline.enter(heading);
                continue;
            }
            let Some(category) = outline.innermost().map(|heading| heading.title()) else {
                continue;
            };
            let listed = line
                .list_item()
                .and_then(|item| markup::bold_lead(item.content))
                .and_then(|(bold, _)| markup::first_link(bold));
            if let Some(link) = listed {
                categories.push((link.text, category));
            }
        }
    }
    Readme {
        categories,
        last_updated: doc.stated_date(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_come_from_the_architecture_headings() {
        let text = "# Docs\n## 🏗️ Platform Architecture\nintro\n- **[loose](./services/loose.md)** - no heading\n\
            ### Data Things\n- **[alpha](./services/alpha.md)** - A\n- plain item\n\
            ### Tools (internal)\n- **[beta](./services/beta.md)**\n- **[alpha](./services/alpha.md)** - again\n\
            ## Other\n### Elsewhere\n- **[gamma](./services/gamma.md)**\n\n**Last Updated**: June 1, 2025\n";
        let readme = read(&Document::from_bytes("README.md", text.as_bytes()));
        let category = |service: &str| readme.category_of(service);
        assert_eq!(category("alpha").as_deref(), Some("Data Things"));
        assert_eq!(category("BETA").as_deref(), Some("Tools"));
        assert_eq!(category("loose"), None);
        assert_eq!(category("gamma"), None);
        assert_eq!(readme.last_updated, NaiveDate::from_ymd_opt(2025, 6, 1));
    }
}
