package io.sluice.backend.common;

import java.io.Serializable;
import java.util.List;

/** Where the alerting stage reads its rules from (a SQL database in production); called on workers, re-read periodically. */
@FunctionalInterface
public interface AlertRuleSource extends Serializable {
  List<AlertRule> load() throws Exception;
}
