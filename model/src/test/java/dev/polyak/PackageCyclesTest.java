package dev.polyak;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One floor per package (STYLE.md): no package of model's main code imports a package that imports
 * it back, directly or through others. Checked on the compiled classes, so a reference in a comment
 * does not count and one through a fully qualified name does.
 */
class PackageCyclesTest {
  private static JavaClasses model;

  @BeforeAll
  static void importModel() {
    model =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.polyak");
  }

  @Test
  void theImportSeesModelsMainClasses() {
    assertThat(model.contain("dev.polyak.train.Trainer")).isTrue();
    assertThat(model.contain("dev.polyak.diag.Diagnostics")).isTrue();
    assertThat(model.contain("dev.polyak.PackageCyclesTest")).isFalse();
  }

  @Test
  void topLevelPackagesAreFreeOfCycles() {
    slices().matching("dev.polyak.(*)..").should().beFreeOfCycles().check(model);
  }

  @Test
  void everyPackageIsFreeOfCycles() {
    slices().matching("dev.polyak.(**)").should().beFreeOfCycles().check(model);
  }
}
