import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, migrate, migrations } from '../../../src-main/services/catalog/migrations';
import { CATALOG_FILE, initProject, openProject } from '../../../src-main/services/catalog/project';
import { KslError } from '../../../src-shared/result';
import { useTmpDir } from '../../helpers/tmp';

const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]).filter((n) => !n.startsWith('sqlite_'));

describe('migrations', () => {
  it('are numbered 1..N without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(migrations.length);
  });

  it('1 creates words, signers, videos, frames and boxes with their constraints', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    expect(migrate(db, 1)).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(['boxes', 'frames', 'meta', 'signers', 'videos', 'words']);
    const w = db.prepare("INSERT INTO words (text, label, level) VALUES ('유치원 버스', 'kindergarten_bus', 2)").run();
    expect(() => db.prepare("INSERT INTO words (text) VALUES ('유치원 버스')").run()).toThrow(/UNIQUE/);
    expect(() => db.prepare("INSERT INTO frames (file, width, height, status) VALUES ('a.jpg', 1, 1, 'done')").run()).toThrow(/CHECK/);
    const v = db.prepare("INSERT INTO videos (number, word_id, path, status) VALUES (12345, ?, '/v/a.avi', 'linked')").run(w.lastInsertRowid);
    const f = db.prepare("INSERT INTO frames (video_id, t, file, width, height) VALUES (?, 0.5, 'frames/1/a.jpg', 640, 360)").run(v.lastInsertRowid);
    db.prepare("INSERT INTO boxes (frame_id, word_id, x, y, w, h, source) VALUES (?, ?, 1, 2, 3, 4, 'interpolated')").run(f.lastInsertRowid, w.lastInsertRowid);
    expect(() => db.prepare("INSERT INTO boxes (frame_id, x, y, w, h) VALUES (999, 0, 0, 1, 1)").run()).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("INSERT INTO boxes (frame_id, x, y, w, h, source) VALUES (?, 0, 0, 1, 1, 'guess')").run(f.lastInsertRowid)).toThrow(/CHECK/);
    // deleting a video removes its frames and their boxes
    db.prepare('DELETE FROM videos').run();
    expect(db.prepare('SELECT COUNT(*) FROM boxes').pluck().get()).toBe(0);
  });

  it('2 adds splits, split members, runs and jobs on top of 1', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 1);
    db.prepare("INSERT INTO words (text) VALUES ('병원')").run();
    expect(migrate(db, 2)).toBe(2);
    expect(tables(db)).toEqual(['boxes', 'frames', 'jobs', 'meta', 'runs', 'signers', 'split_members', 'splits', 'videos', 'words']);
    expect(db.prepare('SELECT text FROM words').pluck().get()).toBe('병원'); // data kept
    expect(() => db.prepare("INSERT INTO jobs (id, kind, state) VALUES ('j1', 'extract', 'sleeping')").run()).toThrow(/CHECK/);
    db.prepare("INSERT INTO splits (method, seed) VALUES ('signer', 42)").run();
    expect(() => db.prepare("INSERT INTO split_members (split_id, frame_id, side) VALUES (1, 77, 'train')").run()).toThrow(/FOREIGN KEY/);
  });

  it('3 keeps box ids unique forever (no reuse after deleting the newest box) and keeps every box', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, 2);
    const w = db.prepare("INSERT INTO words (text) VALUES ('경찰')").run().lastInsertRowid;
    const f = db.prepare("INSERT INTO frames (file, width, height, status) VALUES ('frames/a.jpg', 64, 48, 'labelled')").run().lastInsertRowid;
    const add = () => db.prepare("INSERT INTO boxes (frame_id, word_id, x, y, w, h, source, verified) VALUES (?, ?, 1, 2, 3, 4, 'manual', 1)").run(f, w).lastInsertRowid;
    const [a, b] = [add(), add()];
    // what version 2 did: the newest id comes back after a delete
    db.prepare('DELETE FROM boxes WHERE id = ?').run(b);
    expect(add()).toBe(b);
    expect(migrate(db, 3)).toBe(3);
    expect(db.prepare('SELECT id, frame_id, word_id, x, y, w, h, source, verified FROM boxes ORDER BY id').all()).toEqual([
      { id: Number(a), frame_id: Number(f), word_id: Number(w), x: 1, y: 2, w: 3, h: 4, source: 'manual', verified: 1 },
      { id: Number(b), frame_id: Number(f), word_id: Number(w), x: 1, y: 2, w: 3, h: 4, source: 'manual', verified: 1 },
    ]);
    db.prepare('DELETE FROM boxes WHERE id = ?').run(b);
    expect(Number(add())).toBe(Number(b) + 1);
    // constraints and cascades survived the rebuild
    expect(() => db.prepare("INSERT INTO boxes (frame_id, x, y, w, h) VALUES (999, 0, 0, 1, 1)").run()).toThrow(/FOREIGN KEY/);
    db.prepare('DELETE FROM frames').run();
    expect(db.prepare('SELECT COUNT(*) FROM boxes').pluck().get()).toBe(0);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").pluck().all();
    expect(indexes).toEqual(expect.arrayContaining(['boxes_frame', 'boxes_word']));
    expect(indexes).not.toContain('frames_video');
  });

  it('a failing migration leaves the previous version intact', () => {
    const db = new Database(':memory:');
    migrate(db, 1);
    db.exec('CREATE TABLE jobs (x INTEGER)'); // makes migration 2 fail half-way
    expect(() => migrate(db)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(db)).not.toContain('splits');
  });
});

describe('projects', () => {
  const tmp = useTmpDir();

  it('init creates a WAL catalog with foreign keys and the project folders', () => {
    const dir = path.join(tmp(), '수어 프로젝트');
    const p = initProject(dir);
    expect(p.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(p.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(p.db.pragma('foreign_keys', { simple: true })).toBe(1);
    for (const sub of ['frames', 'runs', 'exports']) expect(statSync(path.join(dir, sub)).isDirectory()).toBe(true);
    p.close();
  });

  it('init refuses a folder that already holds a project and changes nothing', () => {
    const dir = tmp();
    const p = initProject(dir);
    p.db.prepare("INSERT INTO words (text) VALUES ('감사합니다')").run();
    p.close();
    const before = readFileSync(path.join(dir, CATALOG_FILE));
    const listing = readdirSync(dir).sort();
    expect(() => initProject(dir)).toThrow(/already holds a KSL Studio project/);
    expect(readFileSync(path.join(dir, CATALOG_FILE)).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(listing);
    const again = openProject(dir);
    expect(again.db.prepare('SELECT text FROM words').pluck().all()).toEqual(['감사합니다']);
    again.close();
  });

  it('opening a project made by a newer app fails clearly and leaves it untouched', () => {
    const dir = tmp();
    initProject(dir).close();
    const file = path.join(dir, CATALOG_FILE);
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    raw.close();
    const before = readFileSync(file);
    let err: unknown;
    try {
      openProject(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KslError);
    expect((err as KslError).code).toBe('SCHEMA_TOO_NEW');
    expect((err as KslError).message).toMatch(/newer KSL Studio.*Update KSL Studio/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('opening an older project writes a backup copy, then migrates', () => {
    const dir = tmp();
    const file = path.join(dir, CATALOG_FILE);
    const old = new Database(file);
    migrate(old, 1);
    old.prepare("INSERT INTO words (text, level) VALUES ('119', 1)").run();
    old.close();
    const p = openProject(dir);
    expect(p.backup).toBe(`${file}.v1.bak`);
    expect(existsSync(p.backup!)).toBe(true);
    expect(p.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(p.db.prepare('SELECT text FROM words').pluck().all()).toEqual(['119']);
    p.close();
    const bak = new Database(`${file}.v1.bak`, { readonly: true });
    expect(bak.pragma('user_version', { simple: true })).toBe(1);
    expect(bak.prepare('SELECT text FROM words').pluck().all()).toEqual(['119']);
    bak.close();
  });

  it('opening a folder without a catalog says how to create one', () => {
    expect(() => openProject(tmp())).toThrow(/not a KSL Studio project.*ksl init/);
  });
});
