/**
 * The flat columns of the lake's weather files (docs/design.md, "Lake columns"), named as
 * the original project named them. One list drives the Parquet writer, the
 * empty views of `kots sql`, and consolidation. `date` and `city` are not
 * columns of the files: they come from the Hive partition path.
 */
import type { Reading } from '../reading.js';

export type ColumnType = 'VARCHAR' | 'DOUBLE' | 'INTEGER' | 'BIGINT' | 'TIMESTAMP' | 'SMALLINT';

export const WEATHER_COLUMNS = [
  ['id', 'VARCHAR', 'reading id (UUIDv7/ULID), the de-duplication key'],
  ['device_id', 'VARCHAR', 'device that took the reading'],
  ['source', 'VARCHAR', 'openweather | sensors | simulated'],
  ['seq', 'BIGINT', 'per-device counter'],
  ['city_slug', 'VARCHAR', 'city slug (also the partition column `city`)'],
  ['name', 'VARCHAR', 'city display name'],
  ['country', 'VARCHAR', 'ISO country code'],
  ['lat', 'DOUBLE', 'latitude'],
  ['lon', 'DOUBLE', 'longitude'],
  ['current_time_utc', 'TIMESTAMP', 'observed time, UTC'],
  ['local_time', 'TIMESTAMP', 'observed time in the city (UTC + timezone offset)'],
  ['timezone', 'INTEGER', 'UTC offset in seconds'],
  ['weather_id', 'INTEGER', 'OpenWeather condition code'],
  ['weather_main', 'VARCHAR', 'condition group (Clear, Rain, ...)'],
  ['weather_description', 'VARCHAR', 'condition text'],
  ['weather_icon', 'VARCHAR', 'OpenWeather icon code'],
  ['main_temp', 'DOUBLE', 'temperature, Kelvin'],
  ['main_feels_like', 'DOUBLE', 'felt temperature, Kelvin'],
  ['main_temp_min', 'DOUBLE', 'Kelvin'],
  ['main_temp_max', 'DOUBLE', 'Kelvin'],
  ['main_pressure', 'DOUBLE', 'hPa'],
  ['main_humidity', 'DOUBLE', '%'],
  ['visibility', 'DOUBLE', 'metres'],
  ['wind_speed', 'DOUBLE', 'm/s'],
  ['wind_deg', 'DOUBLE', 'degrees'],
  ['wind_gust', 'DOUBLE', 'm/s'],
  ['clouds_all', 'DOUBLE', 'cloud cover %'],
  ['rain_1h', 'DOUBLE', 'mm in the last hour'],
  ['snow_1h', 'DOUBLE', 'mm in the last hour'],
  ['event_id', 'SMALLINT', 'surreal event id, 0 when none'],
  ['event_name', 'VARCHAR', 'surreal event name, "None" when none'],
  ['event_description', 'VARCHAR', 'what the event is'],
  ['event_newsflash', 'VARCHAR', 'one-line newsflash'],
  ['kafka_topic', 'VARCHAR', 'source topic'],
  ['kafka_partition', 'INTEGER', 'source partition'],
  ['kafka_offset', 'BIGINT', 'source offset'],
  ['kafka_timestamp', 'TIMESTAMP', 'time the record entered Kafka (or the in-process bus)'],
] as const satisfies ReadonlyArray<readonly [string, ColumnType, string]>;

export type WeatherColumn = (typeof WEATHER_COLUMNS)[number][0];
export type WeatherRow = Record<WeatherColumn, string | number | bigint | Date | null>;

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: Date;
}

export interface EventLabel {
  id: number;
  name: string;
  description: string;
  newsflash: string;
}

export const NO_EVENT: EventLabel = { id: 0, name: 'None', description: '', newsflash: '' };

export function flattenReading(reading: Reading, position: RecordPosition, event: EventLabel = NO_EVENT): WeatherRow {
  const w = reading.weather;
  const observed = new Date(reading.observed_at);
  const first = w.weather[0];
  return {
    id: reading.id,
    device_id: reading.device_id,
    source: reading.source,
    seq: reading.seq,
    city_slug: reading.city.slug,
    name: reading.city.name,
    country: w.sys?.country ?? null,
    lat: w.coord?.lat ?? null,
    lon: w.coord?.lon ?? null,
    current_time_utc: observed,
    local_time: new Date(observed.getTime() + w.timezone * 1000),
    timezone: w.timezone,
    weather_id: first?.id ?? null,
    weather_main: first?.main ?? null,
    weather_description: first?.description ?? null,
    weather_icon: first?.icon ?? null,
    main_temp: w.main.temp ?? null,
    main_feels_like: w.main.feels_like ?? null,
    main_temp_min: w.main.temp_min ?? null,
    main_temp_max: w.main.temp_max ?? null,
    main_pressure: w.main.pressure ?? null,
    main_humidity: w.main.humidity ?? null,
    visibility: w.visibility ?? null,
    wind_speed: w.wind?.speed ?? null,
    wind_deg: w.wind?.deg ?? null,
    wind_gust: w.wind?.gust ?? null,
    clouds_all: w.clouds?.all ?? null,
    rain_1h: w.rain?.['1h'] ?? null,
    snow_1h: w.snow?.['1h'] ?? null,
    event_id: event.id,
    event_name: event.name,
    event_description: event.description,
    event_newsflash: event.newsflash,
    kafka_topic: position.topic,
    kafka_partition: position.partition,
    kafka_offset: position.offset,
    kafka_timestamp: position.timestamp,
  };
}

/** SELECT list that yields an empty relation with the weather columns (for a lake with no files yet). */
export function emptyWeatherSelect(): string {
  const cols = WEATHER_COLUMNS.map(([name, type]) => `NULL::${type} AS ${name}`);
  return `SELECT ${cols.join(', ')}, NULL::DATE AS date, NULL::VARCHAR AS city WHERE false`;
}
