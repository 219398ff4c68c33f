import { setTimeout as sleep } from 'node:timers/promises';
import { forEachLimit } from './concurrency';
import { KeyedMutex } from './keyed-mutex';

describe('KeyedMutex', () => {
  it('runs one holder per key at a time, in arrival order, and other keys alongside', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const hold = (key: string, name: string, ms: number) =>
      mutex.run(key, async () => {
        events.push(`${name}+`);
        await sleep(ms);
        events.push(`${name}-`);
      });
    await Promise.all([hold('w1', 'a', 30), hold('w1', 'b', 5), hold('w2', 'c', 5)]);
    expect(events.indexOf('a-')).toBeLessThan(events.indexOf('b+'));
    expect(events.indexOf('c+')).toBeLessThan(events.indexOf('a-'));
  });

  it('releases the key when the holder throws', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('w', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('w', () => Promise.resolve('next'))).resolves.toBe('next');
  });
});

describe('forEachLimit', () => {
  it('never has more than the limit in flight and visits every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimit([...Array(20).keys()], 3, async (item) => {
      peak = Math.max(peak, ++inFlight);
      await sleep(2);
      seen.push(item);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('rejects with the first failure and starts nothing new after it', async () => {
    const started: number[] = [];
    await expect(
      forEachLimit([1, 2, 3, 4, 5, 6], 1, async (item) => {
        started.push(item);
        if (item === 2) throw new Error('item 2');
      }),
    ).rejects.toThrow('item 2');
    expect(started).toEqual([1, 2]);
  });
});
