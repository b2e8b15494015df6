//! In-place access to the f32 data of libtorch CPU tensors, for kernels burn has no fused op for
//! (fewdims-train's AdamW step: one pass instead of fifteen). Every other backend and device gets
//! its tensors back untouched, and the caller takes burn's ops.

#[cfg(not(feature = "tch"))]
use burn::tensor::Tensor;

#[cfg(feature = "tch")]
pub use imp::with_host_f32;

#[cfg(feature = "tch")]
// burn-tch is deprecated upstream; it is still the fastest CPU backend here, and our tch path.
#[allow(deprecated)]
#[allow(unsafe_code)]
mod imp {
    use burn::backend::LibTorch;
    use burn::backend::libtorch::TchTensor;
    use burn::tensor::Tensor;

    /// The libtorch handle of `t` when it is an f32 CPU tensor (of a shallow clone, so the caller
    /// keeps `t` when it is not).
    fn to_tch<const D: usize>(t: &Tensor<D>) -> Option<TchTensor> {
        let tch = t.clone().try_into_primitive::<LibTorch>().ok()?;
        let ok = tch.tensor.device() == tch::Device::Cpu && tch.tensor.kind() == tch::Kind::Float;
        ok.then_some(tch)
    }

    /// `t` as a tensor this caller alone may write: its own contiguous storage.
    fn owned(t: TchTensor) -> TchTensor {
        if t.can_mut() && t.tensor.is_contiguous() {
            t
        } else {
            TchTensor::new(t.tensor.contiguous().copy())
        }
    }

    /// # Safety
    /// `t` is a contiguous f32 CPU tensor that nothing else reads or writes while the slice lives.
    unsafe fn slice_mut<'a>(t: &'a TchTensor) -> &'a mut [f32] {
        let n = t.tensor.numel();
        // SAFETY: the caller's contract; numel f32 values start at data_ptr (offset included).
        unsafe { std::slice::from_raw_parts_mut(t.tensor.data_ptr() as *mut f32, n) }
    }

    /// # Safety
    /// `t` is a contiguous f32 CPU tensor that nothing writes while the slice lives.
    unsafe fn slice<'a>(t: &'a TchTensor) -> &'a [f32] {
        let n = t.tensor.numel();
        // SAFETY: the caller's contract; numel f32 values start at data_ptr (offset included).
        unsafe { std::slice::from_raw_parts(t.tensor.data_ptr() as *const f32, n) }
    }

    /// Runs `f` on the data of `update` (written in place) and `read`, when all four are f32 libtorch
    /// tensors on the CPU. A tensor whose storage is shared (a clone held elsewhere, say the best
    /// epoch's copy of the model) or strided is first copied, so no other handle ever sees the write.
    /// Gives the tensors back unchanged (`Err`) on any other backend or device.
    #[allow(clippy::type_complexity)]
    pub fn with_host_f32<const D: usize>(
        update: [Tensor<D>; 3],
        read: Tensor<D>,
        f: impl FnOnce([&mut [f32]; 3], &[f32]),
    ) -> Result<[Tensor<D>; 3], ([Tensor<D>; 3], Tensor<D>)> {
        let [p, m, v] = &update;
        let (Some(p), Some(m), Some(v), Some(g)) = (to_tch(p), to_tch(m), to_tch(v), to_tch(&read))
        else {
            return Err((update, read));
        };
        // The shallow clones above are the only handles once the originals are gone.
        drop(update);
        drop(read);
        let [a, b, c] = [p, m, v].map(owned);
        let grad = TchTensor::new(g.tensor.contiguous());
        {
            // SAFETY: `owned` gave each its own contiguous storage; grad is only read.
            let out = unsafe { [slice_mut(&a), slice_mut(&b), slice_mut(&c)] };
            let g = unsafe { slice(&grad) };
            f(out, g);
        }
        Ok([a, b, c].map(|t| Tensor::from_primitive::<LibTorch>(t)))
    }
}

/// Without libtorch compiled in, every tensor goes back untouched.
#[cfg(not(feature = "tch"))]
#[allow(clippy::type_complexity)]
pub fn with_host_f32<const D: usize>(
    update: [Tensor<D>; 3],
    read: Tensor<D>,
    _f: impl FnOnce([&mut [f32]; 3], &[f32]),
) -> Result<[Tensor<D>; 3], ([Tensor<D>; 3], Tensor<D>)> {
    Err((update, read))
}
