//! Drawing captcha pictures. The text comes from the use case (which stores only its hash); the picture is
//! sent inline as a `data:` URI, so no captcha is ever served from a URL that could be fetched twice.

/// A JPEG of `text` with noise, as a `data:image/jpeg;base64,…` URI.
pub async fn draw(text: String) -> Result<String, crate::problem::ApiError> {
    tokio::task::spawn_blocking(move || {
        captcha_rs::CaptchaBuilder::new()
            .text(text)
            .width(160)
            .height(56)
            .dark_mode(false)
            .complexity(2)
            .compression(70)
            .build()
            .to_base64()
    })
    .await
    .map_err(|e| crate::problem::ApiError::Internal(format!("captcha drawing: {e}")))
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    #[tokio::test]
    async fn draws_a_real_jpeg() {
        let uri = super::draw("K7PX".into()).await.unwrap();
        let b64 = uri.strip_prefix("data:image/jpeg;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "JPEG magic");
        assert!(
            bytes.len() > 1000,
            "a picture, not an empty image: {} bytes",
            bytes.len()
        );
    }
}
