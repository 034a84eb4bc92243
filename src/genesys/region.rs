//! Genesys Cloud regions and their API / login base URLs.
//!
//! Source: the official Python SDK's `purecloud_region_hosts.py` (269.0.0). The API host is
//! `api.<host>`, the login host `login.<host>`.

/// All 18 regions as `(name, host)`, e.g. `("us_east_1", "mypurecloud.com")`.
pub const REGIONS: [(&str, &str); 18] = [
    ("us_east_1", "mypurecloud.com"),
    ("us_east_2", "use2.us-gov-pure.cloud"),
    ("us_west_2", "usw2.pure.cloud"),
    ("ca_central_1", "cac1.pure.cloud"),
    ("sa_east_1", "sae1.pure.cloud"),
    ("mx_central_1", "mxc1.pure.cloud"),
    ("eu_west_1", "mypurecloud.ie"),
    ("eu_west_2", "euw2.pure.cloud"),
    ("eu_central_1", "mypurecloud.de"),
    ("eu_central_2", "euc2.pure.cloud"),
    ("eusc_de_east_1", "edee1.eusc-pure.cloud"),
    ("me_central_1", "mec1.pure.cloud"),
    ("ap_south_1", "aps1.pure.cloud"),
    ("ap_southeast_1", "apse1.pure.cloud"),
    ("ap_southeast_2", "mypurecloud.com.au"),
    ("ap_northeast_1", "mypurecloud.jp"),
    ("ap_northeast_2", "apne2.pure.cloud"),
    ("ap_northeast_3", "apne3.pure.cloud"),
];

/// Looks a region up by name (case-insensitive, surrounding blanks ignored, `-` accepted for `_`,
/// so `"US-East-1"` works) and returns `(api_base_url, login_base_url)`, e.g.
/// `("https://api.mypurecloud.com", "https://login.mypurecloud.com")`. `None` if unknown.
pub fn region_urls(name: &str) -> Option<(String, String)> {
    let wanted = name.trim().replace('-', "_").to_ascii_lowercase();
    REGIONS
        .iter()
        .find(|(region, _)| *region == wanted)
        .map(|(_, host)| {
            (
                format!("https://api.{host}"),
                format!("https://login.{host}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_resolve_in_any_spelling() {
        let want = (
            "https://api.mypurecloud.com".to_string(),
            "https://login.mypurecloud.com".to_string(),
        );
        assert_eq!(region_urls("us_east_1"), Some(want.clone()));
        assert_eq!(region_urls("US-East-1"), Some(want.clone()));
        assert_eq!(region_urls(" us-east-1 "), Some(want));
        assert_eq!(
            region_urls("eu_west_1").unwrap().1,
            "https://login.mypurecloud.ie"
        );
        assert_eq!(
            region_urls("ap-southeast-2").unwrap().0,
            "https://api.mypurecloud.com.au"
        );
        assert_eq!(
            region_urls("eusc-de-east-1").unwrap().0,
            "https://api.edee1.eusc-pure.cloud"
        );
    }

    #[test]
    fn unknown_regions_are_none() {
        assert_eq!(region_urls(""), None);
        assert_eq!(region_urls("us_east_3"), None);
        assert_eq!(region_urls("mypurecloud.com"), None);
    }

    #[test]
    fn names_are_unique_and_lowercase() {
        for (i, (name, host)) in REGIONS.iter().enumerate() {
            assert_eq!(*name, name.to_ascii_lowercase());
            assert!(!host.starts_with("api.") && !host.contains('/'));
            assert!(REGIONS[i + 1..].iter().all(|(n, _)| n != name));
        }
    }
}
