package io.sluice.sdk.ship;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCredentialsTest {
  @TempDir
  Path dir;

  @Test
  void aMissingFileIsAClearErrorAndTheValueIsUsedOnceItAppears() throws Exception {
    Path file = dir.resolve("credentials");
    FileCredentials c = new FileCredentials(file, 0);
    assertThatThrownBy(c::current).isInstanceOf(Credentials.Unavailable.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("cannot be read");
    long before = c.version();
    Files.writeString(file, "  key-1\n");
    assertThat(c.current()).isEqualTo("key-1");
    assertThat(c.version()).isNotEqualTo(before);
  }

  @Test
  void anAtomicReplaceAndAnInPlaceRewriteOfTheSameSizeAreBothSeen() throws Exception {
    Path file = dir.resolve("credentials");
    Files.writeString(file, "Bearer aaaa");
    FileCredentials c = new FileCredentials(file, 0);
    assertThat(c.current()).isEqualTo("Bearer aaaa");
    long v1 = c.version();

    Path tmp = dir.resolve("credentials.tmp");
    Files.writeString(tmp, "Bearer bbbb\n");
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    long v2 = c.version();
    assertThat(v2).isNotEqualTo(v1);
    assertThat(c.current()).isEqualTo("Bearer bbbb");

    // rewritten in place within one tick of the file system's clock: same inode, size and modification time
    java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(file);
    Files.writeString(file, "Bearer cccc\n");
    Files.setLastModifiedTime(file, mtime);
    assertThat(c.current()).isEqualTo("Bearer cccc");
    assertThat(c.version()).isNotEqualTo(v2);
    long v3 = c.version();
    assertThat(c.version()).as("unchanged: the same version").isEqualTo(v3);
  }

  @Test
  void anEmptyOrMultiLineFileIsRefusedWithoutEndingTheOpenStreamsVersion() throws Exception {
    Path file = dir.resolve("credentials");
    Files.writeString(file, "key-1");
    FileCredentials c = new FileCredentials(file, 0);
    assertThat(c.current()).isEqualTo("key-1");
    long v = c.version();
    Files.writeString(file, "\n");
    assertThatThrownBy(c::current).hasMessageContaining("is empty");
    Files.writeString(file, "a\nb\n");
    assertThatThrownBy(c::current).hasMessageContaining("more than one line");
    Files.delete(file);
    assertThatThrownBy(c::current).hasMessageContaining("cannot be read");
    assertThat(c.version()).as("a stream opened with key-1 is not ended by a bad file").isEqualTo(v);
    Files.writeString(file, "key-1");
    assertThat(c.current()).isEqualTo("key-1");
    assertThat(c.version()).isEqualTo(v);
  }
}
