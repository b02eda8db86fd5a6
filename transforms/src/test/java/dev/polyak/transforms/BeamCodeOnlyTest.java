package dev.polyak.transforms;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * transforms holds Beam code only (DESIGN.md: logic a {@code main} could call lives in model):
 * every top-level class of its main code uses Beam. A class that does not belongs in model.
 */
class BeamCodeOnlyTest {
  @Test
  void everyTopLevelClassUsesBeam() {
    JavaClasses transforms =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.polyak.transforms");
    assertThat(transforms.contain("dev.polyak.transforms.Diagnose")).isTrue();
    classes()
        .that()
        .areTopLevelClasses()
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.apache.beam..")
        .check(transforms);
  }
}
