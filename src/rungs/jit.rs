//! Rung 5: code generated at run time. Cranelift compiles a register-tile micro-kernel
//! specialised for this workload: the depth of each slice of d is a constant, the k loop is
//! unrolled, and the vectors are the widest Cranelift offers on this CPU (128 bits on x86, with
//! fused multiply-add where the CPU has it). Everything around the micro-kernel (packing,
//! blocking, stores, threads) is the `threads` rung's, so the comparison isolates the code
//! generator.
//!
//! Compiled kernels are cached for the life of the process, keyed by d: like Numba's first
//! call, only the first run pays the compile time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cranelift_codegen::ir::{
    AbiParam, Function, InstBuilder, MemFlagsData, UserFuncName, Value, condcodes::IntCC, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};

use super::native::{Isa, MicroTile, Packed, Shape, b_align, tuning};
use super::threads::ThreadsKernel;
use super::{Context, Coverage, Kernel, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// Float32 lanes of the widest vector Cranelift emits here.
pub const LANES: usize = 4;

/// k steps per trip of the generated loop.
pub const UNROLL: usize = 4;

const SHAPE: Shape = tuning::JIT;

/// The signature of a generated tile: `(a, b, c, accumulate)`; kc and the row stride of c are
/// constants inside it.
type TileFn = unsafe extern "C" fn(*const f32, *const f32, *mut f32, i32);

/// What the code generator was asked for and what it produced, for `ladder jit --show-ir`.
#[derive(Clone, Debug)]
pub struct Listing {
    /// The kc the function was specialised for.
    pub kc: usize,
    /// Cranelift IR as generated (before optimisation).
    pub ir: String,
    /// Cranelift's machine-code listing after register allocation.
    pub machine_code: Option<String>,
    /// Bytes of machine code.
    pub code_bytes: usize,
}

/// The generated kernels for one d: one per distinct depth slice (a full `kc` and the rest).
pub struct Compiled {
    d: usize,
    /// (kc, function), at most two.
    tiles: Vec<(usize, TileFn)>,
    compile_time: Duration,
    /// What the CPU features let Cranelift use, for people.
    pub features: String,
    pub listings: Vec<Listing>,
    /// Owns the executable memory the function pointers point into.
    _module: ModuleOwner,
}

/// The JIT module only owns memory with code in it; nothing in it is touched after
/// finalisation, so sharing it between threads is sound.
struct ModuleOwner(#[allow(dead_code)] JITModule);
// SAFETY: see above: after `finalize_definitions` the module is never used again, only kept
// alive; the generated functions are pure and reentrant.
unsafe impl Send for ModuleOwner {}
// SAFETY: as above.
unsafe impl Sync for ModuleOwner {}

impl Compiled {
    /// Seconds spent generating and compiling (the first time; the cache hands out the same
    /// value afterwards).
    #[must_use]
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    #[must_use]
    pub fn d(&self) -> usize {
        self.d
    }
}

impl MicroTile for Compiled {
    fn shape(&self) -> Shape {
        SHAPE
    }

    unsafe fn tile(&self, kc: usize, a: *const f32, b: *const f32, c: *mut f32, accumulate: bool) {
        let f = self
            .tiles
            .iter()
            .find(|(k, _)| *k == kc)
            .map(|(_, f)| *f)
            .expect("the blocking asks only for the slices compiled for this d");
        // SAFETY: forwarded from the caller; the function reads kc·MR floats of a and kc·NR of
        // b and writes MR rows of NR floats of c, NC apart, as MicroTile requires.
        unsafe { f(a, b, c, i32::from(accumulate)) }
    }
}

/// Why code generation failed.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    #[error("Cranelift does not support this CPU: {0}")]
    Host(String),
    #[error("Cranelift could not compile the kernel: {0}")]
    Compile(String),
}

impl From<JitError> for RungError {
    fn from(e: JitError) -> Self {
        RungError::Unsupported(e.to_string())
    }
}

/// The distinct depth slices the blocking will ask for at dimension d.
fn slices(d: usize) -> Vec<usize> {
    let mut v = vec![SHAPE.kc.min(d)];
    if d > SHAPE.kc && !d.is_multiple_of(SHAPE.kc) {
        v.push(d % SHAPE.kc);
    }
    v
}

/// Whether the host has fused multiply-add for Cranelift to emit (else multiply, then add).
fn host_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        true
    }
}

/// Generates and compiles the tiles for dimension `d`. With `listing`, also keeps the IR and
/// the machine-code listing (which costs compile time, so the rung does not ask for it).
pub fn compile(d: usize, listing: bool) -> Result<Compiled, JitError> {
    assert!(d > 0, "d must be at least 1");
    let start = Instant::now();
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| {
        f.set(k, v).map_err(|e| JitError::Host(e.to_string()))
    };
    // Not "speed": its e-graph pass places every pure value (the broadcasts and FMAs) just
    // before the loop's back edge, after all the loads, so the loaded values of four steps are
    // live at once and spill (1.15 s against 0.74 s at 10k × 768). Without it the
    // instructions keep the order they are generated in, which is already the schedule.
    set(&mut flags, "opt_level", "none")?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    set(&mut flags, "is_pic", "false")?;
    let isa = cranelift_native::builder()
        .map_err(|e| JitError::Host(e.to_string()))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| JitError::Host(e.to_string()))?;
    let features = isa
        .isa_flags()
        .iter()
        .filter(|v| v.as_bool() == Some(true))
        .map(|v| v.name.trim_start_matches("has_").to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let mut ctx = module.make_context();
    ctx.set_disasm(listing);
    let mut fctx = FunctionBuilderContext::new();
    let ptr = module.target_config().pointer_type();
    let fma = host_fma();

    let mut ids = Vec::new();
    let mut listings = Vec::new();
    for kc in slices(d) {
        let mut sig = module.make_signature();
        sig.params.extend([ptr, ptr, ptr].map(AbiParam::new));
        sig.params.push(AbiParam::new(types::I32));
        let name = format!("tile_d{d}_kc{kc}");
        let id = module
            .declare_function(&name, Linkage::Local, &sig)
            .map_err(|e| JitError::Compile(e.to_string()))?;
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        generate_tile(&mut ctx.func, &mut fctx, kc, fma, module.target_config());
        let ir = if listing {
            ctx.func.display().to_string()
        } else {
            String::new()
        };
        module
            .define_function(id, &mut ctx)
            .map_err(|e| JitError::Compile(format!("{e:?}")))?;
        if listing {
            let code = ctx.compiled_code();
            listings.push(Listing {
                kc,
                ir,
                machine_code: code.and_then(|c| c.vcode.clone()),
                code_bytes: code.map_or(0, |c| c.code_buffer().len()),
            });
        }
        module.clear_context(&mut ctx);
        ids.push((kc, id));
    }
    module
        .finalize_definitions()
        .map_err(|e| JitError::Compile(e.to_string()))?;
    let tiles = ids
        .into_iter()
        .map(|(kc, id)| {
            let code = module.get_finalized_function(id);
            // SAFETY: the function was declared with exactly this signature (three pointers
            // and an i32, no return) in the host's default calling convention.
            (kc, unsafe {
                std::mem::transmute::<*const u8, TileFn>(code)
            })
        })
        .collect();
    Ok(Compiled {
        d,
        tiles,
        compile_time: start.elapsed(),
        features,
        listings,
        _module: ModuleOwner(module),
    })
}

/// Emits `tile(a, b, c, accumulate)` for one depth `kc`: MR × NR accumulators of LANES-wide
/// vectors live in registers (block parameters of the loop) for all kc steps; every step
/// loads NR/LANES vectors of b, broadcasts MR values of a and issues MR·NR/LANES FMAs.
/// Byte offset of `floats` float32 values (d is far below 2^29, so it fits an i32).
fn bytes(floats: usize) -> i32 {
    i32::try_from(floats * 4).expect("offsets within a panel fit in 32 bits")
}

fn generate_tile(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    kc: usize,
    fma: bool,
    target: cranelift_codegen::isa::TargetFrontendConfig,
) {
    const MR: usize = SHAPE.mr;
    const NV: usize = SHAPE.nr / LANES;
    let ptr = target.pointer_type();
    let vec = types::F32X4;
    // a and b are packed panels, valid for every load here (MicroTile's contract), and b is
    // aligned for a 16-byte vector at every step (asserted below): trusted, so Cranelift may
    // fold their loads into the arithmetic.
    const { assert!(b_align(SHAPE.nr) >= 16) };
    let panel = MemFlagsData::trusted();
    // c is a row of the caller's scratch block: valid, but aligned to a float only, so its
    // loads and stores are marked as never trapping and nothing more (an aligned flag would
    // let a load fold into an SSE operand that faults when unaligned).
    let scratch = MemFlagsData::new().with_notrap();
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let p = b.block_params(entry).to_vec();
    let (a0, b0, c0, acc_flag) = (p[0], p[1], p[2], p[3]);
    let zero = b.ins().f32const(0.0);
    let vzero = b.ins().splat(vec, zero);
    let mut acc = vec![vzero; MR * NV];

    // One k step at byte offsets (a_off, b_off) from the panel pointers.
    let step = |b: &mut FunctionBuilder, pa: Value, pb: Value, u: usize, acc: &mut [Value]| {
        let bv: Vec<Value> = (0..NV)
            .map(|v| {
                b.ins()
                    .load(vec, panel, pb, bytes(u * SHAPE.nr + v * LANES))
            })
            .collect();
        for r in 0..MR {
            let s = b.ins().load(types::F32, panel, pa, bytes(u * MR + r));
            let s = b.ins().splat(vec, s);
            for (v, &bvv) in bv.iter().enumerate() {
                let slot = &mut acc[r * NV + v];
                *slot = if fma {
                    b.ins().fma(s, bvv, *slot)
                } else {
                    let m = b.ins().fmul(s, bvv);
                    b.ins().fadd(m, *slot)
                };
            }
        }
    };

    let trips = kc / UNROLL;
    let (mut pa, mut pb) = (a0, b0);
    if trips > 0 {
        let body = b.create_block();
        let exit = b.create_block();
        for blk in [body, exit] {
            b.append_block_param(blk, ptr);
            b.append_block_param(blk, ptr);
            for _ in 0..MR * NV {
                b.append_block_param(blk, vec);
            }
        }
        let b_end = b
            .ins()
            .iadd_imm_u(b0, i64::from(bytes(trips * UNROLL * SHAPE.nr)));
        let args: Vec<_> = [a0, b0].iter().chain(&acc).map(|&v| v.into()).collect();
        b.ins().jump(body, &args);

        b.switch_to_block(body);
        let params = b.block_params(body).to_vec();
        let (la, lb) = (params[0], params[1]);
        let mut lacc = params[2..].to_vec();
        for u in 0..UNROLL {
            step(&mut b, la, lb, u, &mut lacc);
        }
        let na = b.ins().iadd_imm_u(la, i64::from(bytes(UNROLL * MR)));
        let nb = b.ins().iadd_imm_u(lb, i64::from(bytes(UNROLL * SHAPE.nr)));
        let more = b.ins().icmp(IntCC::NotEqual, nb, b_end);
        let args: Vec<_> = [na, nb].iter().chain(&lacc).map(|&v| v.into()).collect();
        b.ins().brif(more, body, &args, exit, &args);

        b.switch_to_block(exit);
        let params = b.block_params(exit).to_vec();
        (pa, pb) = (params[0], params[1]);
        acc = params[2..].to_vec();
    }
    // The steps left over after the unrolled trips, straight-line.
    for u in 0..kc % UNROLL {
        step(&mut b, pa, pb, u, &mut acc);
    }

    // Write out: c = acc, or c += acc when accumulating over a later slice of d.
    let add = b.create_block();
    let store = b.create_block();
    for _ in 0..MR * NV {
        b.append_block_param(store, vec);
    }
    let args: Vec<_> = acc.iter().map(|&v| v.into()).collect();
    b.ins().brif(acc_flag, add, &[], store, &args);

    let c_off = |r: usize, v: usize| bytes(r * tuning::NC + v * LANES);
    b.switch_to_block(add);
    let mut sums = Vec::with_capacity(MR * NV);
    for r in 0..MR {
        for v in 0..NV {
            let old = b.ins().load(vec, scratch, c0, c_off(r, v));
            sums.push(b.ins().fadd(acc[r * NV + v], old).into());
        }
    }
    b.ins().jump(store, &sums);

    b.switch_to_block(store);
    let vals = b.block_params(store).to_vec();
    for r in 0..MR {
        for v in 0..NV {
            b.ins().store(scratch, vals[r * NV + v], c0, c_off(r, v));
        }
    }
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(target);
}

static CACHE: Mutex<Vec<Arc<Compiled>>> = Mutex::new(Vec::new());

/// The compiled kernels for d, from the process-wide cache or compiled now. The flag says
/// whether they came from the cache.
pub fn compiled(d: usize) -> Result<(Arc<Compiled>, bool), JitError> {
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(c) = cache.iter().find(|c| c.d == d) {
        return Ok((Arc::clone(c), true));
    }
    let c = Arc::new(compile(d, false)?);
    cache.push(Arc::clone(&c));
    Ok((c, false))
}

/// Rung 5: the JIT kernel on every core.
pub struct Jit {
    isa: Isa,
}

impl Jit {
    #[must_use]
    pub fn detect() -> Self {
        Self { isa: Isa::detect() }
    }
}

impl Rung for Jit {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "jit",
            title: "JIT: kernel generated at run time (Cranelift)",
            step: Step::Jit,
            what_changed: "the micro-kernel generated at run time by Cranelift for this d (constant trip count, unrolled), in the threads rung's blocking",
            why: "specialising for the workload costs milliseconds of compiling; Cranelift's 128-bit vectors cap it at half an AVX2 core's width, a quarter of an AVX-512 one's (so below native and threads)",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::UpperTriangle
    }

    fn row_align(&self) -> usize {
        tuning::MC
    }

    fn threads(&self, ctx: &Context) -> usize {
        ctx.threads.max(1)
    }

    fn vector_bits(&self) -> Option<u32> {
        Some((LANES * 32) as u32)
    }

    fn prepare<'a>(&self, x: &'a Matrix, ctx: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        let (compiled, cached) = compiled(x.d())?;
        let compile_s = if cached {
            0.0
        } else {
            compiled.compile_time().as_secs_f64()
        };
        let pool = super::worker_pool(ctx.threads, "jit")?;
        let tile: Arc<dyn MicroTile> = compiled;
        Ok(Box::new(JitKernel {
            inner: ThreadsKernel {
                packed: Packed::with_tile(x, self.isa, tile),
                pool,
            },
            compile: super::Compile {
                seconds: compile_s,
                cached,
            },
        }))
    }
}

struct JitKernel {
    inner: ThreadsKernel,
    compile: super::Compile,
}

impl Kernel for JitKernel {
    fn rows(&mut self, rows: std::ops::Range<usize>, out: &mut super::Output) {
        self.inner.rows(rows, out);
    }

    fn compile(&self) -> Option<super::Compile> {
        Some(self.compile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_d() {
        assert_eq!(slices(1), vec![1]);
        assert_eq!(slices(768), vec![768]);
        assert_eq!(slices(1000), vec![768, 232]);
        assert_eq!(slices(1536), vec![768]);
    }

    #[test]
    fn a_generated_tile_matches_a_plain_loop() {
        for kc in [1, 3, 4, 7, 9, 64] {
            let c = compile(kc, true).expect("compiles");
            let (mr, nr) = (SHAPE.mr, SHAPE.nr);
            let a: Vec<f32> = (0..kc * mr).map(|i| (i % 13) as f32 - 6.0).collect();
            // b aligned as packed panels are; c one float off any vector alignment, as a
            // scratch row may be.
            let mut b_buf = super::super::hugepages::HugeBuf::<f32>::zeroed(kc * nr);
            for (i, v) in b_buf.as_mut_slice().iter_mut().enumerate() {
                *v = (i % 7) as f32 * 0.5;
            }
            let b = b_buf.as_slice();
            let mut c_buf = vec![1.0f32; mr * tuning::NC + 1];
            let out = &mut c_buf[1..];
            // SAFETY: a holds kc·mr floats, b kc·nr floats from a 2 MiB-aligned start, c mr
            // rows of NC floats: MicroTile::tile's contract (c needs no alignment).
            unsafe { c.tile(kc, a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), true) };
            for r in 0..mr {
                for col in 0..nr {
                    let want: f32 = 1.0
                        + (0..kc)
                            .map(|k| a[k * mr + r] * b[k * nr + col])
                            .sum::<f32>();
                    let got = out[r * tuning::NC + col];
                    assert!(
                        (got - want).abs() <= 1e-3 * want.abs().max(1.0),
                        "kc {kc} ({r},{col}): {got} vs {want}"
                    );
                }
            }
            assert!(!c.listings[0].ir.is_empty());
        }
    }
}
