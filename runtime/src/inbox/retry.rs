//! What a handler returns, and when a failed event runs again.

use std::fmt;
use std::time::Duration;

use rand::Rng;

/// A handler's failure: the event runs again later (or, when the attempts are used up, goes
/// dead). Any `std::error::Error` converts into it, so `?` works in handlers; ask for a delay
/// with [`HandlerError::retry_after`] (a vendor's rate limit, say).
pub struct HandlerError {
    message: String,
    retry_after: Option<Duration>,
}

impl HandlerError {
    /// A failure described by `message`, retried on the policy's schedule.
    pub fn new(message: impl Into<String>) -> Self {
        HandlerError {
            message: message.into(),
            retry_after: None,
        }
    }

    /// Run the event again no sooner than `delay` from now.
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The delay the handler asked for, if any.
    pub fn requested_delay(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerError")
            .field("message", &self.message)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl<E: std::error::Error> From<E> for HandlerError {
    fn from(e: E) -> Self {
        HandlerError::new(e.to_string())
    }
}

/// What a handler's future may return: `()` (it cannot fail) or `Result<(), E>` with `E`
/// convertible into a [`HandlerError`].
pub trait HandlerOutcome: Send + 'static {
    /// `Ok` on success.
    fn into_result(self) -> Result<(), HandlerError>;
}

impl HandlerOutcome for () {
    fn into_result(self) -> Result<(), HandlerError> {
        Ok(())
    }
}

impl<E: Into<HandlerError> + Send + 'static> HandlerOutcome for Result<(), E> {
    fn into_result(self) -> Result<(), HandlerError> {
        self.map_err(Into::into)
    }
}

/// Exponential backoff with jitter. The defaults (first retry after 10 s, doubling up to
/// 12 hours, 18 attempts) span about 3 days, as long as the senders keep retrying (Stripe: 3
/// days; Standard Webhooks: about 75 hours).
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule {
    /// The delay before the first retry.
    pub initial: Duration,
    /// Each further delay is this many times the previous one.
    pub factor: f64,
    /// No delay is longer.
    pub max_delay: Duration,
    /// Attempts in all (the first run included); then the event is dead.
    pub max_attempts: u32,
    /// Each delay is shortened by a random part of up to this fraction (0..=1), so that
    /// events failing together do not retry together.
    pub jitter: f64,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            initial: Duration::from_secs(10),
            factor: 2.0,
            max_delay: Duration::from_secs(12 * 3600),
            max_attempts: 18,
            jitter: 0.2,
        }
    }
}

impl RetrySchedule {
    /// Quick retries for tests: `initial` doubling, no jitter, `max_attempts` in all.
    pub fn quick(initial: Duration, max_attempts: u32) -> Self {
        RetrySchedule {
            initial,
            factor: 2.0,
            max_delay: initial * 64,
            max_attempts,
            jitter: 0.0,
        }
    }

    /// The delay after failed attempt number `attempt` (1 = the first run), or `None` when
    /// no attempts are left.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let full = self.nominal_delay(attempt);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let cut = if jitter > 0.0 {
            rand::thread_rng().gen_range(0.0..=jitter)
        } else {
            0.0
        };
        Some(full.mul_f64(1.0 - cut))
    }

    /// The delay before jitter.
    fn nominal_delay(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(64) as i32;
        let secs = self.initial.as_secs_f64() * self.factor.max(1.0).powi(exponent);
        let capped = secs.min(self.max_delay.as_secs_f64());
        Duration::try_from_secs_f64(capped).unwrap_or(self.max_delay)
    }

    /// The time from the first run to the last retry, before jitter.
    pub fn total_span(&self) -> Duration {
        (1..self.max_attempts).map(|a| self.nominal_delay(a)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_spans_about_three_days() {
        let span = RetrySchedule::default().total_span();
        let days = span.as_secs_f64() / 86_400.0;
        assert!((2.5..=3.5).contains(&days), "{days} days");
    }

    #[test]
    fn delays_double_then_cap_then_stop() {
        let p = RetrySchedule::quick(Duration::from_secs(1), 10);
        assert_eq!(p.delay_after(1), Some(Duration::from_secs(1)));
        assert_eq!(p.delay_after(2), Some(Duration::from_secs(2)));
        assert_eq!(p.delay_after(9), Some(Duration::from_secs(64)));
        assert_eq!(p.delay_after(10), None);
    }

    #[test]
    fn jitter_only_shortens_within_its_fraction() {
        let p = RetrySchedule::default();
        for _ in 0..200 {
            let d = p.delay_after(3).unwrap();
            assert!(
                d <= Duration::from_secs(40) && d >= Duration::from_secs(32),
                "{d:?}"
            );
        }
    }

    #[test]
    fn errors_convert_with_question_mark() {
        fn handler() -> Result<(), HandlerError> {
            let _: u8 = "300".parse()?;
            Ok(())
        }
        let e = handler().unwrap_err();
        assert!(e.message().contains("too large"), "{}", e.message());
        assert_eq!(e.requested_delay(), None);
        let asked = HandlerError::new("rate limited").retry_after(Duration::from_secs(30));
        assert_eq!(asked.requested_delay(), Some(Duration::from_secs(30)));
    }
}
