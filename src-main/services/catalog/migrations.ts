/**
 * Numbered schema migrations. A migration is never edited once released: the next change is a new
 * entry. `PRAGMA user_version` records the version reached; each migration runs in its own
 * transaction together with the version bump, so a crash leaves the previous version intact.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'words, signers, videos, frames, boxes',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
        -- A sign word. text is NFC Korean (numerals such as '119' included); label is the ASCII
        -- label name from the researchers' level table; level 1-4 groups words for training.
        CREATE TABLE words (
          id       INTEGER PRIMARY KEY,
          text     TEXT NOT NULL UNIQUE,
          label    TEXT UNIQUE,
          level    INTEGER CHECK (level IS NULL OR level BETWEEN 1 AND 99),
          selected INTEGER NOT NULL DEFAULT 1
        );
        -- A person who signs, by the dataset's provider ID only: names are never stored.
        CREATE TABLE signers (
          id   INTEGER PRIMARY KEY,
          code TEXT NOT NULL UNIQUE
        );
        CREATE TABLE videos (
          id           INTEGER PRIMARY KEY,
          number       INTEGER UNIQUE,          -- KETI 10-digit file number; NULL for own clips
          word_id      INTEGER REFERENCES words(id) ON DELETE SET NULL,
          signer_id    INTEGER REFERENCES signers(id) ON DELETE SET NULL,
          source_sheet TEXT,
          source_row   INTEGER,
          source_name  TEXT,                    -- file name as the sheet wrote it
          direction    TEXT,
          year         INTEGER,
          path         TEXT UNIQUE,             -- absolute, or relative to the project folder
          status       TEXT NOT NULL DEFAULT 'missing'
                       CHECK (status IN ('missing', 'linked', 'extracted', 'failed')),
          fps_num      INTEGER,
          fps_den      INTEGER,
          width        INTEGER,
          height       INTEGER,
          duration     REAL,
          rotation     INTEGER,
          codec        TEXT,
          error        TEXT,
          created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE INDEX videos_word ON videos(word_id);
        CREATE INDEX videos_signer ON videos(signer_id);
        CREATE TABLE frames (
          id         INTEGER PRIMARY KEY,
          video_id   INTEGER REFERENCES videos(id) ON DELETE CASCADE,
          t          REAL,                      -- presentation time in seconds (NULL for photos)
          file       TEXT NOT NULL UNIQUE,      -- relative to the project folder
          width      INTEGER NOT NULL,
          height     INTEGER NOT NULL,
          status     TEXT NOT NULL DEFAULT 'unlabelled'
                     CHECK (status IN ('unlabelled', 'labelled', 'verified', 'skipped')),
          split_hint TEXT,                      -- e.g. 'train'/'test' folder of an imported set
          UNIQUE (video_id, t)
        );
        CREATE INDEX frames_video ON frames(video_id, t);
        CREATE INDEX frames_status ON frames(status);
        CREATE TABLE boxes (
          id        INTEGER PRIMARY KEY,
          frame_id  INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
          word_id   INTEGER REFERENCES words(id) ON DELETE SET NULL,
          x         REAL NOT NULL,
          y         REAL NOT NULL,
          w         REAL NOT NULL CHECK (w >= 0),
          h         REAL NOT NULL CHECK (h >= 0),
          difficult INTEGER NOT NULL DEFAULT 0,
          source    TEXT NOT NULL DEFAULT 'manual'
                    CHECK (source IN ('manual', 'copied', 'interpolated', 'model', 'imported', 'groundtruth')),
          verified  INTEGER NOT NULL DEFAULT 0,
          score     REAL,
          updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE INDEX boxes_frame ON boxes(frame_id);
        CREATE INDEX boxes_word ON boxes(word_id);
      `);
    },
  },
  {
    version: 2,
    name: 'splits, training runs, jobs',
    up(db) {
      db.exec(`
        CREATE TABLE splits (
          id         INTEGER PRIMARY KEY,
          method     TEXT NOT NULL CHECK (method IN ('signer', 'video', 'frame', 'folders')),
          seed       INTEGER,
          test_fraction REAL,
          level      INTEGER,
          params     TEXT NOT NULL DEFAULT '{}',   -- JSON
          report     TEXT NOT NULL DEFAULT '{}',   -- JSON: counts and leak check
          leaks      INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE TABLE split_members (
          split_id INTEGER NOT NULL REFERENCES splits(id) ON DELETE CASCADE,
          frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
          side     TEXT NOT NULL CHECK (side IN ('train', 'test')),
          PRIMARY KEY (split_id, frame_id)
        ) WITHOUT ROWID;
        CREATE TABLE runs (
          id          TEXT PRIMARY KEY,
          split_id    INTEGER REFERENCES splits(id) ON DELETE SET NULL,
          level       INTEGER,
          preset      TEXT NOT NULL,
          backend     TEXT,
          config      TEXT NOT NULL DEFAULT '{}',  -- JSON, includes pretrained model + licence
          fingerprint TEXT,
          status      TEXT NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'ok', 'cancelled', 'failed', 'interrupted')),
          metrics     TEXT NOT NULL DEFAULT '{}',  -- JSON
          started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
          finished_at TEXT
        );
        CREATE TABLE jobs (
          id         TEXT PRIMARY KEY,
          kind       TEXT NOT NULL,
          params     TEXT NOT NULL DEFAULT '{}',   -- JSON
          state      TEXT NOT NULL CHECK (state IN ('running', 'ok', 'cancelled', 'failed', 'interrupted')),
          done       INTEGER NOT NULL DEFAULT 0,
          total      INTEGER NOT NULL DEFAULT 0,
          message    TEXT NOT NULL DEFAULT '',
          error      TEXT,
          result     TEXT,                         -- JSON
          resumable  INTEGER NOT NULL DEFAULT 0,
          pid        INTEGER,
          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
          updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE INDEX jobs_state ON jobs(state);
      `);
    },
  },
  {
    version: 3,
    name: 'box ids never reused; drop an index UNIQUE(video_id, t) already provides',
    up(db) {
      // A plain INTEGER PRIMARY KEY hands the id of a deleted newest box to the next box drawn,
      // anywhere: an undo history that remembers "box 41" could then touch another frame's box.
      // AUTOINCREMENT keeps ids unique forever. SQLite cannot add it in place: rebuild the table
      // (nothing references boxes, so foreign keys stay intact).
      db.exec(`
        CREATE TABLE boxes_v3 (
          id        INTEGER PRIMARY KEY AUTOINCREMENT,
          frame_id  INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
          word_id   INTEGER REFERENCES words(id) ON DELETE SET NULL,
          x         REAL NOT NULL,
          y         REAL NOT NULL,
          w         REAL NOT NULL CHECK (w >= 0),
          h         REAL NOT NULL CHECK (h >= 0),
          difficult INTEGER NOT NULL DEFAULT 0,
          source    TEXT NOT NULL DEFAULT 'manual'
                    CHECK (source IN ('manual', 'copied', 'interpolated', 'model', 'imported', 'groundtruth')),
          verified  INTEGER NOT NULL DEFAULT 0,
          score     REAL,
          updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        INSERT INTO boxes_v3 (id, frame_id, word_id, x, y, w, h, difficult, source, verified, score, updated_at)
          SELECT id, frame_id, word_id, x, y, w, h, difficult, source, verified, score, updated_at FROM boxes;
        DROP TABLE boxes;
        ALTER TABLE boxes_v3 RENAME TO boxes;
        CREATE INDEX boxes_frame ON boxes(frame_id);
        CREATE INDEX boxes_word ON boxes(word_id);
        DROP INDEX IF EXISTS frames_video;
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]!.version;

/** Runs the migrations above `from` up to `to` (default: latest), each in its own transaction. */
export function migrate(db: Database, to = LATEST_SCHEMA_VERSION): number {
  let version = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= version || m.version > to) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    version = m.version;
  }
  return version;
}
