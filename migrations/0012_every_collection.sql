-- Tables for the collections the original never stored.

CREATE TABLE IF NOT EXISTS ring_battery_levels (
    timestamp TEXT PRIMARY KEY,
    level INTEGER,
    charging INTEGER,
    in_charger INTEGER
);

CREATE TABLE IF NOT EXISTS ring_configurations (
    id TEXT PRIMARY KEY,
    color TEXT,
    design TEXT,
    firmware_version TEXT,
    hardware_type TEXT,
    set_up_at TEXT,
    size INTEGER
);

CREATE TABLE IF NOT EXISTS personal_info (
    id TEXT PRIMARY KEY,
    age INTEGER,
    weight REAL,
    height REAL,
    biological_sex TEXT,
    email TEXT
);

-- The deprecated `tag` collection (enhanced_tag superseded it; both are kept).
CREATE TABLE IF NOT EXISTS tags (
    id TEXT PRIMARY KEY,
    day DATE,
    timestamp TEXT,
    text TEXT,
    tags_json TEXT
);
CREATE INDEX IF NOT EXISTS idx_tags_day ON tags(day);
