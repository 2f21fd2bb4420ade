use crate::services::platform::{Analytics, DataPoint, PResult};
use std::cell::RefCell;

/// Keeps every data point so tests can read what would reach Analytics Engine.
#[derive(Default)]
pub struct RecordingAnalytics(RefCell<Vec<DataPoint>>);

impl RecordingAnalytics {
    pub fn points(&self) -> Vec<DataPoint> {
        self.0.borrow().clone()
    }
}

impl Analytics for RecordingAnalytics {
    fn write(&self, point: DataPoint) -> PResult<()> {
        self.0.borrow_mut().push(point);
        Ok(())
    }
}
