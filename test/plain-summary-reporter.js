/**
 * Prints one plain closing line, `N passed, N failed` (`, N skipped`), after jest's own summary,
 * so that CI systems that read only that form see the result.
 */
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    console.log(`${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }
}

module.exports = PlainSummaryReporter;
