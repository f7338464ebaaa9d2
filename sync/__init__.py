# sync: hadir's collector (CPython): HTTP → service → store, SQLite or PostgreSQL.
# SPDX-License-Identifier: MIT
