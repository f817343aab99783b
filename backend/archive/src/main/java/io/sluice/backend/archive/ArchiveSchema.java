package io.sluice.backend.archive;

import io.sluice.backend.common.LogEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The archive's row schema, {@code avro/log_event.avsc} on the classpath (written to Parquet by parquet-avro), and
 * the mapping of a {@link LogEvent} to a row. Stateless and thread-safe.
 */
public final class ArchiveSchema {
  /** The classpath resource holding the schema. */
  public static final String RESOURCE = "/avro/log_event.avsc";

  /** The row schema. */
  public static final Schema SCHEMA = load();

  private ArchiveSchema() {}

  /** The row of {@code e}; the partition values (date, hour, service) are left to the directory names. */
  public static GenericRecord toRecord(LogEvent e) {
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("identity", e.identity().key());
    r.put("tenant", e.tenant());
    r.put("topic", e.topic());
    r.put("time_unix_nano", e.timeUnixNano());
    r.put("event_time", Math.floorDiv(e.timeUnixNano(), 1_000L));
    r.put("host", e.host());
    r.put("severity", e.severity().name());
    r.put("severity_text", e.severityText());
    r.put("body", e.body());
    r.put("message_template", e.messageTemplate());
    r.put("logger", e.logger());
    r.put("thread", e.thread());
    r.put("trace_id", e.traceId());
    r.put("span_id", e.spanId());
    r.put("exception_type", e.exceptionType());
    r.put("exception_message", e.exceptionMessage());
    r.put("top_frame", e.topFrame());
    r.put("fingerprint", e.fingerprint());
    r.put("attributes", e.attributes());
    r.put("size_bytes", e.sizeBytes());
    return r;
  }

  /**
   * A projection of the schema to {@code names} (in that order), for readers that need a few columns only.
   *
   * @throws IllegalArgumentException naming a field the schema does not have
   */
  public static Schema projection(String... names) {
    List<Schema.Field> fields = new ArrayList<>(names.length);
    for (String name : names) {
      Schema.Field f = SCHEMA.getField(name);
      if (f == null) {
        throw new IllegalArgumentException("the archive schema has no field '" + name + "'; fields: "
            + SCHEMA.getFields().stream().map(Schema.Field::name).toList());
      }
      fields.add(new Schema.Field(f, f.schema()));
    }
    return Schema.createRecord(SCHEMA.getName(), SCHEMA.getDoc(), SCHEMA.getNamespace(), false, fields);
  }

  private static Schema load() {
    try (InputStream in = ArchiveSchema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
