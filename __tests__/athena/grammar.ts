/**
 * dt-sql-parser's Trino and Hive grammars, imported from their own modules: the package root
 * loads every dialect (MySQL, Flink, Spark...) and triples the suite's start-up time.
 */
import { HiveSQL } from 'dt-sql-parser/dist/parser/hive/index.js';
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino/index.js';

export const trino = new TrinoSQL();
export const hive = new HiveSQL();
