# Sourced by .ci/run (bash, as root): a PostgreSQL server for the store tests. Uses the newest installed
# major version's `main` cluster (Debian's package usually creates it; made here when it did not), starts it
# unless it runs, makes (or resets) a role `tessera` that may create databases (each test file creates its
# own and drops it), and exports TESSERA_TEST_POSTGRES with TESSERA_REQUIRE_POSTGRES=1, so a suite that
# cannot reach a server fails instead of skipping. Idempotent: a second run finds everything in place.
# Runs on its own too: `source .ci/postgres.sh`.
ci_postgres() {
  export TESSERA_REQUIRE_POSTGRES=1
  if [ -n "${TESSERA_TEST_POSTGRES:-}" ]; then
    echo "ci: postgres: using the given TESSERA_TEST_POSTGRES"
    return 0
  fi
  if [ "$(id -u)" != "0" ] || ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "ci: postgres: not root or no postgresql-common; the tests start a throwaway cluster themselves"
    return 0
  fi
  local ver port password=tessera-ci
  ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
    echo "ci: postgres: pg_createcluster $ver main"
    pg_createcluster "$ver" main >/dev/null
  fi
  pg_ctlcluster "$ver" main status >/dev/null 2>&1 || pg_ctlcluster "$ver" main start
  port=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" { print $3 }')
  runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -q -d postgres <<SQL
DO \$\$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tessera') THEN
    ALTER ROLE tessera LOGIN CREATEDB PASSWORD '$password';
  ELSE
    CREATE ROLE tessera LOGIN CREATEDB PASSWORD '$password';
  END IF;
END \$\$;
SQL
  export TESSERA_TEST_POSTGRES="postgres://tessera:$password@127.0.0.1:$port/postgres"
  echo "ci: postgres $ver main on port $port, role tessera"
}
ci_postgres
