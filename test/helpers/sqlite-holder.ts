// A second process for the SQLite busy-wait test: opens the file at argv[2] directly, takes the write lock
// (BEGIN IMMEDIATE), inserts an image row, prints `locked`, holds the lock for argv[3] ms, commits and
// prints `committed`. A store writing meanwhile must wait for the lock, not fail.
import Database from 'better-sqlite3';

const [file, holdMs] = process.argv.slice(2);
const db = new Database(file);
db.exec('BEGIN IMMEDIATE');
db.prepare('INSERT INTO images (hash, png, bytes, created_at) VALUES (?, ?, 1, ?)').run(
  'f'.repeat(64),
  Buffer.from([0x89]),
  new Date().toISOString(),
);
process.stdout.write('locked\n');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdMs));
db.exec('COMMIT');
db.close();
process.stdout.write('committed\n');
