#!/bin/sh
# First start on an empty data directory: create the system tables (no binlog is written, so a
# replica's GTID history starts where the primary's does). Then run the server in the foreground.
set -e
chown mysql:mysql /var/lib/mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db --auth-root-authentication-method=socket >/dev/null
fi
exec mariadbd --user=mysql
