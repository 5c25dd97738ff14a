"""Wrong answers and variants for exercise 08 (deadlock, lock ordering, RLock)."""
from tests.wrong_answers.answer import Answer


ANSWERS = [
    # ---- task 1: the kitchen ----------------------------------------------------------------------
    Answer("task1", "changes nothing: serve and wash_up still take the locks in opposite orders", {
        "task1": "class Kitchen(OldKitchen):\n    pass\n"}),
    Answer("task1", "reorders wash_up but still calls log_stock, which takes noodles_lock a second time", {
        "task1": '''
class Kitchen(OldKitchen):
    def wash_up(self, n):
        with self.noodles_lock:
            with self.forks_lock:
                self.clean_forks += n
                self.log_stock()
'''}),
    Answer("task1", "swaps serve's order instead (forks first), but take_fork takes forks_lock again", {
        "task1": '''
class Kitchen(OldKitchen):
    def serve(self, guest):
        with self.forks_lock:
            with self.noodles_lock:
                self.bowls -= 1
                fork = self.take_fork()
                self.served.append((guest, fork))
'''}),
    Answer("task1", "a sleep in wash_up so that serve usually finishes first", {
        "task1": '''
class Kitchen(OldKitchen):
    def wash_up(self, n):
        time.sleep(0.2)
        with self.forks_lock:
            self.clean_forks += n
            self.log_stock()
'''}),
    Answer("task1", "wash_up waits at most 1 s for noodles_lock and skips the snapshot if it times out", {
        "task1": '''
class Kitchen(OldKitchen):
    def wash_up(self, n):
        with self.forks_lock:
            self.clean_forks += n
            if self.noodles_lock.acquire(timeout=1):
                try:
                    self.stock_log.append((self.bowls, self.clean_forks))
                finally:
                    self.noodles_lock.release()
'''}),
    Answer("task1", "wash_up retries in a loop with no pause after a timed wait: it starves serve (a livelock)", {
        "task1": '''
class Kitchen(OldKitchen):
    def wash_up(self, n):
        while True:
            with self.forks_lock:
                if self.noodles_lock.acquire(timeout=0.5):
                    try:
                        self.clean_forks += n
                        self.stock_log.append((self.bowls, self.clean_forks))
                        return
                    finally:
                        self.noodles_lock.release()
'''}),
    Answer("task1", "timed wait for noodles_lock, back off, retry: it always gets there, in the wrong order", {
        "task1": '''
class Kitchen(OldKitchen):
    def wash_up(self, n):
        while True:
            with self.forks_lock:
                if self.noodles_lock.acquire(timeout=0.2):
                    try:
                        self.clean_forks += n
                        self.stock_log.append((self.bowls, self.clean_forks))
                        return
                    finally:
                        self.noodles_lock.release()
            time.sleep(0.01)

    def log_stock(self):
        with self.noodles_lock:
            with self.forks_lock:
                self.stock_log.append((self.bowls, self.clean_forks))
'''}),
    Answer("task1", "fixes wash_up (inlined snapshot) but leaves log_stock reading clean_forks without its lock", {
        "task1": '''
class Kitchen(OldKitchen):
    def wash_up(self, n):
        with self.noodles_lock:
            with self.forks_lock:
                self.clean_forks += n
                self.stock_log.append((self.bowls, self.clean_forks))
'''}),
    Answer("task1", "fixes wash_up, but log_stock takes forks_lock first", {
        "task1": '''
class Kitchen(OldKitchen):
    def wash_up(self, n):
        with self.noodles_lock:
            with self.forks_lock:
                self.clean_forks += n
                self.stock_log.append((self.bowls, self.clean_forks))

    def log_stock(self):
        with self.forks_lock:
            with self.noodles_lock:
                self.stock_log.append((self.bowls, self.clean_forks))
'''}),
    Answer("task1", "lets go of forks_lock before the snapshot: no nesting, but the snapshot mixes two moments", {
        "task1": '''
class Kitchen(OldKitchen):
    def wash_up(self, n):
        with self.forks_lock:
            self.clean_forks += n
        self.log_stock()
'''}),
    Answer("task1", "one lock for everything: serve and wash_up use noodles_lock only", {
        "task1": '''
class Kitchen(OldKitchen):
    def serve(self, guest):
        with self.noodles_lock:
            self.bowls -= 1
            self.clean_forks -= 1
            self.served.append((guest, self.clean_forks))

    def wash_up(self, n):
        with self.noodles_lock:
            self.clean_forks += n
            self.stock_log.append((self.bowls, self.clean_forks))
'''}),
    Answer(None, "variant: the whole class rewritten, forks first everywhere, take_fork inlined", {
        "task1": '''
class Kitchen:
    """Lock order: forks_lock, then noodles_lock."""

    def __init__(self, noodles_lock, forks_lock, bowls=10, forks=10):
        self.noodles_lock, self.forks_lock = noodles_lock, forks_lock
        self.bowls, self.clean_forks = bowls, forks
        self.served, self.stock_log = [], []

    def serve(self, guest):
        with self.forks_lock, self.noodles_lock:
            self.bowls -= 1
            self.clean_forks -= 1
            self.served.append((guest, self.clean_forks))

    def wash_up(self, n):
        with self.forks_lock, self.noodles_lock:
            self.clean_forks += n
            self.stock_log.append((self.bowls, self.clean_forks))

    def log_stock(self):
        with self.forks_lock, self.noodles_lock:
            self.stock_log.append((self.bowls, self.clean_forks))
'''}),

    # ---- task 2: transfer --------------------------------------------------------------------------
    Answer("task2", "takes the source's lock first: two opposite transfers deadlock", {
        "task2": '''
def transfer(src, dst, amount):
    if src is dst:
        return
    with src.lock:
        with dst.lock:
            if src.balance < amount:
                raise InsufficientFunds("not enough")
            src.balance -= amount
            dst.balance += amount
'''}),
    Answer("task2", "a global lock around the ordered account locks: no deadlock, and no concurrency", {
        "task2": '''
BANK = threading.Lock()

def transfer(src, dst, amount):
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda a: a.number)
    with BANK:
        with first.lock:
            with second.lock:
                if src.balance < amount:
                    raise InsufficientFunds("not enough")
                src.balance -= amount
                dst.balance += amount
'''}),
    Answer("task2", "one global lock instead of the accounts' locks", {
        "task2": '''
BANK = threading.Lock()

def transfer(src, dst, amount):
    with BANK:
        if src.balance < amount:
            raise InsufficientFunds("not enough")
        src.balance -= amount
        dst.balance += amount
'''}),
    Answer("task2", "a lock per pair of accounts serialises opposite transfers, then source first: a ring deadlocks", {
        "task2": '''
PAIRS = {}
PAIRS_GUARD = threading.Lock()

def transfer(src, dst, amount):
    if src is dst:
        return
    with PAIRS_GUARD:
        pair = PAIRS.setdefault(frozenset((src.number, dst.number)), threading.Lock())
    with pair:
        with src.lock:
            with dst.lock:
                if src.balance < amount:
                    raise InsufficientFunds("not enough")
                src.balance -= amount
                dst.balance += amount
'''}),
    Answer("task2", "one lock at a time: debit under the source's lock, then credit under the destination's", {
        "task2": '''
def transfer(src, dst, amount):
    if src is dst:
        return
    with src.lock:
        if src.balance < amount:
            raise InsufficientFunds("not enough")
        src.balance -= amount
    with dst.lock:
        dst.balance += amount
'''}),
    Answer("task2", "refuses when the balance equals the amount (<= instead of <)", {
        "task2": '''
def transfer(src, dst, amount):
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda a: a.number)
    with first.lock:
        with second.lock:
            if src.balance <= amount:
                raise InsufficientFunds("not enough")
            src.balance -= amount
            dst.balance += amount
'''}),
    Answer("task2", "acquire()/release() without try/finally: InsufficientFunds leaves both locks held", {
        "task2": '''
def transfer(src, dst, amount):
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda a: a.number)
    first.lock.acquire()
    second.lock.acquire()
    if src.balance < amount:
        raise InsufficientFunds("not enough")
    src.balance -= amount
    dst.balance += amount
    second.lock.release()
    first.lock.release()
'''}),
    Answer("task2", "ordered, but a transfer to the same account takes its lock twice", {
        "task2": '''
def transfer(src, dst, amount):
    first, second = sorted((src, dst), key=lambda a: a.number)
    with first.lock:
        with second.lock:
            if src.balance < amount:
                raise InsufficientFunds("not enough")
            src.balance -= amount
            dst.balance += amount
'''}),
    Answer("task2", "checks the balance before taking the locks", {
        "task2": '''
def transfer(src, dst, amount):
    if src is dst:
        return
    if src.balance < amount:
        raise InsufficientFunds("not enough")
    first, second = sorted((src, dst), key=lambda a: a.number)
    with first.lock:
        with second.lock:
            src.balance -= amount
            dst.balance += amount
'''}),
    Answer("task2", "source first, and on a 1 s timeout for the second lock let go and retry", {
        "task2": '''
def transfer(src, dst, amount):
    if src is dst:
        return
    while True:
        with src.lock:
            if dst.lock.acquire(timeout=1):
                try:
                    if src.balance < amount:
                        raise InsufficientFunds("not enough")
                    src.balance -= amount
                    dst.balance += amount
                    return
                finally:
                    dst.lock.release()
'''}),
    Answer("task2", "source first; a timed wait for the second lock, back off and retry: works, by timing", {
        "task2": '''
import random

def transfer(src, dst, amount):
    if src is dst:
        return
    while True:
        with src.lock:
            if dst.lock.acquire(timeout=0.1):
                try:
                    if src.balance < amount:
                        raise InsufficientFunds("not enough")
                    src.balance -= amount
                    dst.balance += amount
                    return
                finally:
                    dst.lock.release()
        time.sleep(random.uniform(0, 0.02))
'''}),
    Answer("task2", "source first, then spins on a non-blocking acquire of the second lock", {
        "task2": '''
def transfer(src, dst, amount):
    if src is dst:
        return
    with src.lock:
        while not dst.lock.acquire(blocking=False):
            pass
        try:
            if src.balance < amount:
                raise InsufficientFunds("not enough")
            src.balance -= amount
            dst.balance += amount
        finally:
            dst.lock.release()
'''}),
    Answer("task2", "source first, after a random sleep so that the two transfers rarely collide", {
        "task2": '''
import random

def transfer(src, dst, amount):
    if src is dst:
        return
    time.sleep(random.uniform(0, 0.05))
    with src.lock:
        with dst.lock:
            if src.balance < amount:
                raise InsufficientFunds("not enough")
            src.balance -= amount
            dst.balance += amount
'''}),
    Answer("task2", "orders the locks by balance, which is not a fixed order (and is read unlocked)", {
        "task2": '''
def transfer(src, dst, amount):
    if src is dst:
        return
    first, second = sorted((src, dst), key=lambda a: a.balance)
    with first.lock:
        with second.lock:
            if src.balance < amount:
                raise InsufficientFunds("not enough")
            src.balance -= amount
            dst.balance += amount
'''}),
    Answer("task2", "locks only the source account", {
        "task2": '''
def transfer(src, dst, amount):
    with src.lock:
        if src.balance < amount:
            raise InsufficientFunds("not enough")
        src.balance -= amount
        dst.balance += amount
'''}),
    Answer(None, "variant: the order is id(), the two locks in one `with`, self-transfer inside", {
        "task2": '''
def transfer(src, dst, amount):
    first, second = sorted((src, dst), key=id)
    with first.lock:
        if src is dst:
            return
        with second.lock:
            if src.balance < amount:
                raise InsufficientFunds(f"{src.balance} < {amount}")
            src.balance, dst.balance = src.balance - amount, dst.balance + amount
'''}),
    Answer(None, "variant: min/max by number, an ExitStack, an explicit try/finally", {
        "task2": '''
from contextlib import ExitStack

def transfer(src, dst, amount):
    if src.number == dst.number:
        return
    with ExitStack() as stack:
        for account in (min(src, dst, key=lambda a: a.number), max(src, dst, key=lambda a: a.number)):
            account.lock.acquire()
            stack.callback(account.lock.release)
        if src.balance < amount:
            raise InsufficientFunds("not enough")
        src.balance -= amount
        dst.balance += amount
'''}),

    # ---- task 3: the shelf -------------------------------------------------------------------------
    Answer("task3", "changes nothing: add_series takes the plain Lock again inside add", {
        "task3": "class Shelf(OldShelf):\n    pass\n"}),
    Answer("task3", "add_series without the lock: each book is locked on its own", {
        "task3": '''
class Shelf(OldShelf):
    def add_series(self, titles):
        for title in titles:
            self.add(title)
'''}),
    Answer("task3", "an RLock, but add_series takes it per book, not for the whole series", {
        "task3": '''
class Shelf(OldShelf):
    def __init__(self):
        super().__init__()
        self.lock = threading.RLock()

    def add_series(self, titles):
        for title in titles:
            with self.lock:
                self.add(title)
'''}),
    Answer("task3", "an RLock with acquire()/release() and no finally: an empty title leaves it held", {
        "task3": '''
class Shelf(OldShelf):
    def __init__(self):
        super().__init__()
        self.lock = threading.RLock()

    def add_series(self, titles):
        self.lock.acquire()
        for title in titles:
            self.add(title)
        self.lock.release()
'''}),
    Answer("task3", "a Semaphore(1) instead of the Lock: it cannot be taken twice either", {
        "task3": '''
class Shelf(OldShelf):
    def __init__(self):
        super().__init__()
        self.lock = threading.Semaphore(1)
'''}),
    Answer("task3", "add no longer locks (so add_series can call it): a single add is unprotected", {
        "task3": '''
class Shelf(OldShelf):
    def add(self, title):
        if not title:
            raise ValueError("a book needs a title")
        self.books.append(title)
'''}),
    Answer("task3", "add retries a non-blocking acquire until it succeeds: inside add_series it spins for ever", {
        "task3": '''
class Shelf(OldShelf):
    def add(self, title):
        if not title:
            raise ValueError("a book needs a title")
        while not self.lock.acquire(blocking=False):
            pass
        try:
            self.books.append(title)
        finally:
            self.lock.release()
'''}),
    Answer(None, "variant: a plain Lock, and a private unlocked helper that both methods call", {
        "task3": '''
class Shelf(OldShelf):
    def add(self, title):
        with self.lock:
            self._add(title)

    def add_series(self, titles):
        with self.lock:
            for title in titles:
                self._add(title)

    def _add(self, title):
        """Only with self.lock held."""
        if not title:
            raise ValueError("a book needs a title")
        self.books.append(title)
'''}),
    Answer(None, "variant: a Condition (its default lock is an RLock)", {
        "task3": '''
class Shelf(OldShelf):
    def __init__(self):
        super().__init__()
        self.lock = threading.Condition()
'''}),
]
