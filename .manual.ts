import { startLocalLedger } from './local-ledger';
(async () => {
  const dir = process.argv[2];
  const running = await startLocalLedger({ dataDir: dir, pageSize: Number(process.argv[4] ?? 100) });
  const ps = [];
  for (let i = 0; i < Number(process.argv[3]); i++) ps.push(running.ledger.append(`col-${i % 3}`, `entry ${i}`));
  await Promise.all(ps);
  await running.ledger.flush();
  console.log('ready');
  process.on('SIGTERM', async () => { await running.stop(); process.exit(0); });
})();
