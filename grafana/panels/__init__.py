"""The dashboard's rows, in order; each row's panels live in a module by theme."""

from .activity import ACTIVITY, SESSION, WORKOUT
from .body import HEART_HEALTH, HEART_RATE, RING, STRESS
from .data import INGESTION, TAGS
from .night import NIGHT, NIGHT_OPTIONS
from .overview import CORRELATIONS, SCORES, SNAPSHOT
from .sleep import NIGHTLY, PHYSIOLOGY, SLEEP

ROWS = [
    {"title": "Snapshot", "collapsed": False, "panels": SNAPSHOT},
    {"title": "Scores", "collapsed": False, "panels": SCORES},
    {"title": "Sleep", "collapsed": False, "panels": SLEEP},
    {"title": "Nightly Heart Rate & HRV", "collapsed": True, "panels": NIGHTLY},
    {"title": "Sleep Physiology", "collapsed": True, "panels": PHYSIOLOGY},
    {"title": "Activity", "collapsed": False, "panels": ACTIVITY},
    {"title": "Workouts", "collapsed": False, "panels": WORKOUT},
    {"title": "Sessions", "collapsed": True, "panels": SESSION},
    {"title": "Stress & Resilience", "collapsed": False, "panels": STRESS},
    {"title": "SpO2, Cardiovascular Age & VO2 Max", "collapsed": False, "panels": HEART_HEALTH},
    {"title": "Heart Rate", "collapsed": True, "panels": HEART_RATE},
    {"title": "Ring", "collapsed": True, "panels": RING},
    {"title": "Correlations", "collapsed": True, "panels": CORRELATIONS},
    {"title": "Tags", "collapsed": True, "panels": TAGS},
    {"title": "Data Coverage & Ingestion", "collapsed": True, "panels": INGESTION},
    {"title": "Night", "collapsed": True, "panels": NIGHT},
]
